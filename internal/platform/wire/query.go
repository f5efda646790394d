package wire

import (
	"net/url"
	"strings"
	"sync"
)

// maxFastParams is the most parameters queryParams reads itself.
const maxFastParams = 16

// fastQueryOK tells whether url.ParseQuery accepts maxFastParams parameters
// (it does unless GODEBUG urlmaxqueryparams sets a lower limit), and so any
// query that queryParams reads itself.
var fastQueryOK = sync.OnceValue(func() bool {
	_, err := url.ParseQuery(strings.Repeat("&", maxFastParams-1))
	return err == nil
})

// maxQueryNames is the most parameters one QueryParams looks up.
const maxQueryNames = 6

type queryParam struct {
	key, value string
	ok         bool
}

// QueryParams looks up a few query parameters as url.ParseQuery gives them:
// for each name, the first value of the parameter spelled exactly so and the
// first of one spelled so case-insensitively (with the spelling found). A
// query of up to maxFastParams parameters is read in one pass without
// building url.Values; longer ones, and any query when a GODEBUG
// urlmaxqueryparams setting limits maxFastParams parameters, go through
// url.ParseQuery itself, so that its parameter limit applies as it did.
type QueryParams struct {
	names []string
	// exact and fold hold the first value of each parameter spelled
	// exactly and spelled otherwise.
	exact, fold [maxQueryNames]queryParam
	// values is the parsed query when the one-pass reader was not used.
	values url.Values
}

// Parse reads a raw query for the parameters names (at most maxQueryNames,
// no two equal case-insensitively) as url.ParseQuery does: pairs separated
// by '&', a pair with a ';' or a key or value that does not unescape is left
// out, and '+' is a space. The one difference: of two parameters whose names
// differ from the exact spelling in different ways (sdkappid and SDKAPPID),
// get takes the first in the query, where url.Values gave either at random.
func (q *QueryParams) Parse(raw string, names []string) {
	q.names = names
	if strings.Count(raw, "&") >= maxFastParams || !fastQueryOK() {
		q.values, _ = url.ParseQuery(raw) // never nil
		return
	}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" || strings.IndexByte(pair, ';') >= 0 {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := queryUnescape(k)
		if err != nil {
			continue
		}
		param, exact := -1, false
		for i, name := range names {
			if key == name {
				param, exact = i, true
				break
			}
			if strings.EqualFold(key, name) {
				param = i
				break
			}
		}
		if param < 0 {
			continue
		}
		slot := &q.fold[param]
		if exact {
			slot = &q.exact[param]
		}
		if slot.ok {
			continue
		}
		value, err := queryUnescape(v)
		if err != nil {
			continue
		}
		*slot = queryParam{key: key, value: value, ok: true}
	}
}

// Get returns the spelling and first value of a parameter (an index of the
// names), spelled exactly or else spelled otherwise.
func (q *QueryParams) Get(param int) (key, value string, ok bool) {
	name := q.names[param]
	if q.values != nil {
		if v, ok := q.values[name]; ok {
			return name, v[0], true
		}
		for k, v := range q.values {
			if strings.EqualFold(k, name) {
				return k, v[0], true
			}
		}
		return "", "", false
	}
	if p := q.exact[param]; p.ok {
		return name, p.value, true
	}
	p := q.fold[param]
	return p.key, p.value, p.ok
}

// Exactly returns the first value of a parameter spelled exactly as named
// (url.Values' Get and Has).
func (q *QueryParams) Exactly(param int) (value string, ok bool) {
	if q.values != nil {
		v, ok := q.values[q.names[param]]
		if !ok {
			return "", false
		}
		return v[0], true
	}
	p := q.exact[param]
	return p.value, p.ok
}

// queryUnescape is url.QueryUnescape, without the call when there is nothing
// to unescape.
func queryUnescape(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, nil
	}
	return url.QueryUnescape(s)
}
