package wire

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/jsonx"
	"github.com/imhook/imhook/record"
	"github.com/tidwall/gjson"
)

// RuleShape is an applied reply field of the right JSON type that is not of
// the shape the catalogue gives it: a value its list of values does not
// have (an element type it does not know), too few or too many items (an
// empty message body).
const RuleShape = "response.shape"

// Shapes holds each applied field of a reply (present, not null, of the
// right type: Extras checked that) to its shape (shapeCheck) and returns the
// number of errors; suffix says what the platform does with a field that
// breaks its shape.
func (f *Findings) Shapes(root gjson.Result, spec *fixtures.ReplySpec, suffix string) int {
	errs := 0
	for _, fd := range spec.Fields {
		if v := root.Get(jsonx.Escape(fd.Name)); v.Exists() {
			errs += f.shapeCheck(v, fd, at{name: fd.Name}, false, suffix)
		}
	}
	return errs
}

// at is where a value is: its parent's path and its key or index. The path
// is built only when a finding or a container below needs it (a reply's
// message body is judged on every modify reply of a load run).
type at struct {
	parent, name string
	index        int // with name "": an array item
}

func (a at) String() string {
	switch {
	case a.name == "":
		return jsonx.Index(a.parent, a.index)
	case a.parent == "":
		return jsonx.Escape(a.name)
	}
	return jsonx.PathJoin(a.parent, a.name)
}

// shapeCheck holds a well-typed applied reply field to the rest of the shape
// the catalogue gives it, by the rules that make its JSON Schema
// (fixtures.FieldSchema): enum and const values, item counts, required
// fields, and an element's content by the case its sibling names (MsgContent
// by MsgType). A required field missing from an element (or the element's
// type or content itself) is an error; elsewhere a warning, as a missing
// required reply field is. It returns the number of errors; suffix says
// what the platform does with such a field.
func (f *Findings) shapeCheck(v gjson.Result, fd *fixtures.Field, where at, inElem bool, suffix string) int {
	if v.Type == gjson.Null {
		return 0
	}
	if len(fd.Enum) > 0 && !inValues(v, fd.Enum) {
		f.Add(record.Error, RuleShape, where.String(), fmt.Sprintf("expected one of %s, found %s%s", valueList(fd.Enum), jsonx.Describe(v.Raw), suffix))
		return 1
	}
	if len(fd.Const) > 0 && !SameJSON(string(fd.Const), v.Raw) {
		f.Add(record.Error, RuleShape, where.String(), fmt.Sprintf("expected %s, found %s%s", fd.Const, jsonx.Describe(v.Raw), suffix))
		return 1
	}
	switch {
	case fd.Type == "object" && v.IsObject() && len(fd.Fields) > 0:
		return f.shapeObject(v, fd, where.String(), inElem, suffix)
	case fd.Type == "array" && v.IsArray():
		return f.shapeArray(v, fd, where, inElem, suffix)
	}
	return 0
}

// shapeObject is shapeCheck of an object's fields; path is the object's.
func (f *Findings) shapeObject(v gjson.Result, fd *fixtures.Field, path string, inElem bool, suffix string) int {
	errs := 0
	for _, c := range fd.Fields {
		cv := v.Get(jsonx.Escape(c.Name))
		element := c.Switch != "" || switchKey(fd, c.Name)
		switch {
		case !cv.Exists() && c.Required && c.Form == "" && (inElem || element):
			errs++
			f.Add(record.Error, RuleRequired, jsonx.PathJoin(path, c.Name), fmt.Sprintf("the required field %s is missing%s", c.Name, suffix))
		case !cv.Exists() && c.Required && c.Form == "":
			f.Add(record.Warning, RuleMissing, jsonx.PathJoin(path, c.Name), fmt.Sprintf("the document requires %s", c.Name))
		case !cv.Exists():
		case c.Switch != "":
			if cs := c.Case(v.Get(jsonx.Escape(c.Switch)).String()); cs != nil && cv.IsObject() {
				errs += f.shapeObject(cv, cs, jsonx.PathJoin(path, c.Name), true, suffix)
			}
		default:
			errs += f.shapeCheck(cv, c, at{parent: path, name: c.Name}, inElem, suffix)
		}
	}
	return errs
}

// shapeArray is shapeCheck of an array's item count and items.
func (f *Findings) shapeArray(v gjson.Result, fd *fixtures.Field, where at, inElem bool, suffix string) int {
	n := 0
	v.ForEach(func(_, _ gjson.Result) bool { n++; return true })
	switch {
	case fd.MinItems > 0 && n < fd.MinItems:
		f.Add(record.Error, RuleShape, where.String(), fmt.Sprintf("expected at least %d item(s), found %d%s", fd.MinItems, n, suffix))
		return 1
	case fd.MaxItems > 0 && n > fd.MaxItems:
		f.Add(record.Error, RuleShape, where.String(), fmt.Sprintf("expected at most %d item(s), found %d%s", fd.MaxItems, n, suffix))
		return 1
	}
	if fd.Items == nil || n == 0 {
		return 0
	}
	path := where.String()
	errs, i := 0, 0
	v.ForEach(func(_, item gjson.Result) bool {
		errs += f.shapeCheck(item, fd.Items, at{parent: path, index: i}, inElem, suffix)
		i++
		return errs < 10
	})
	return errs
}

// switchKey reports a field that names the case of a sibling (MsgType).
func switchKey(fd *fixtures.Field, name string) bool {
	for _, c := range fd.Fields {
		if c.Switch == name {
			return true
		}
	}
	return false
}

// inValues reports whether v is one of values.
func inValues(v gjson.Result, values []json.RawMessage) bool {
	for _, w := range values {
		if SameJSON(string(w), v.Raw) {
			return true
		}
	}
	return false
}

// valueList lists values for a message: TIMTextElem, TIMFaceElem, ...
func valueList(values []json.RawMessage) string {
	out := make([]string, len(values))
	for i, w := range values {
		out[i] = string(w)
		if s := gjson.ParseBytes(w); s.Type == gjson.String {
			out[i] = s.Str
		}
	}
	return strings.Join(out, ", ")
}
