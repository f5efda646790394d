package platform

import (
	"net/url"
	"strings"
)

// query is a received request's query as url.ParseQuery reads it (a pair
// that does not parse is left out).
type query url.Values

func parseQuery(raw string) query {
	v, _ := url.ParseQuery(raw)
	return query(v)
}

// get returns the spelling and first value of the parameter name, spelled
// exactly or else spelled otherwise (SDKAppID for SdkAppid).
func (q query) get(name string) (key, value string, ok bool) {
	if v, ok := q[name]; ok {
		return name, v[0], true
	}
	for k, v := range q {
		if strings.EqualFold(k, name) {
			return k, v[0], true
		}
	}
	return "", "", false
}

// exactly returns the first value of the parameter spelled exactly name.
func (q query) exactly(name string) (value string, ok bool) {
	if v, ok := q[name]; ok {
		return v[0], true
	}
	return "", false
}
