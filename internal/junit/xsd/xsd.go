// Package xsd checks XML documents against the part of XML Schema that the
// JUnit schemas use (internal/junit/testdata/junit-10.xsd): global and local
// element declarations and references, named and inline complex types with
// their attributes (declared, required, typed), mixed content, and simple
// types restricted by a pattern. It checks which elements may appear where,
// which attributes each takes and requires, text where the content is not
// mixed, and the patterns; it does not check the order of a sequence or how
// often a particle occurs. No pure-Go validator of XML Schema is served as a
// module, and the reports' tests need only this much; the schema file, not
// this code, says what is allowed.
package xsd

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Schema is a loaded schema.
type Schema struct {
	elements map[string]*element
	types    map[string]*complexType
	patterns map[string]*regexp.Regexp
}

type element struct {
	name     string
	typeName string       // a named type, or "" with ct set
	ct       *complexType // inline, or resolved from typeName
	text     bool         // a simple type (xs:string): text only
	ref      bool         // a reference to the global element of that name
}

type complexType struct {
	mixed    bool
	children map[string]*element
	attrs    map[string]attribute
}

type attribute struct {
	typeName string
	required bool
}

type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []node     `xml:",any"`
}

func (n *node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

// Parse reads a schema.
func Parse(r io.Reader) (*Schema, error) {
	var root node
	if err := xml.NewDecoder(r).Decode(&root); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	if root.XMLName.Local != "schema" {
		return nil, fmt.Errorf("schema: the root is <%s>, not <xs:schema>", root.XMLName.Local)
	}
	s := &Schema{elements: map[string]*element{}, types: map[string]*complexType{}, patterns: map[string]*regexp.Regexp{}}
	for i := range root.Nodes {
		n := &root.Nodes[i]
		name := n.attr("name")
		switch n.XMLName.Local {
		case "simpleType":
			if err := s.simpleType(name, n); err != nil {
				return nil, err
			}
		case "complexType":
			s.types[name] = complexOf(n)
		case "element":
			s.elements[name] = elementOf(n)
		}
	}
	for _, e := range s.elements {
		if err := s.resolve(e); err != nil {
			return nil, err
		}
	}
	for _, ct := range s.types {
		for _, e := range ct.children {
			if err := s.resolve(e); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

func (s *Schema) simpleType(name string, n *node) error {
	for _, r := range n.Nodes {
		if r.XMLName.Local != "restriction" {
			continue
		}
		for _, p := range r.Nodes {
			if p.XMLName.Local == "pattern" {
				// XML Schema patterns match the whole value.
				re, err := regexp.Compile("^(?:" + p.attr("value") + ")$")
				if err != nil {
					return fmt.Errorf("schema: simple type %s: %w", name, err)
				}
				s.patterns[name] = re
			}
		}
	}
	return nil
}

func elementOf(n *node) *element {
	if ref := n.attr("ref"); ref != "" {
		return &element{name: ref, ref: true}
	}
	e := &element{name: n.attr("name"), typeName: n.attr("type")}
	for i := range n.Nodes {
		if n.Nodes[i].XMLName.Local == "complexType" {
			e.ct = complexOf(&n.Nodes[i])
		}
	}
	return e
}

func complexOf(n *node) *complexType {
	ct := &complexType{mixed: n.attr("mixed") == "true", children: map[string]*element{}, attrs: map[string]attribute{}}
	var walk func(n *node)
	walk = func(n *node) {
		for i := range n.Nodes {
			c := &n.Nodes[i]
			switch c.XMLName.Local {
			case "sequence", "choice", "all":
				walk(c)
			case "element":
				e := elementOf(c)
				ct.children[e.name] = e
			case "attribute":
				ct.attrs[c.attr("name")] = attribute{typeName: c.attr("type"), required: c.attr("use") == "required"}
			}
		}
	}
	walk(n)
	return ct
}

// resolve gives a declaration its type: xs:string is text, a named type
// one of the schema's; references resolve when the document is read.
func (s *Schema) resolve(e *element) error {
	switch {
	case e.ref || e.ct != nil:
	case e.typeName == "" || strings.HasSuffix(e.typeName, ":string"):
		e.text = e.typeName != ""
		if e.typeName == "" {
			e.ct = &complexType{children: map[string]*element{}, attrs: map[string]attribute{}}
		}
	default:
		ct, ok := s.types[e.typeName]
		if !ok {
			return fmt.Errorf("schema: element %s has type %s, which the schema does not define", e.name, e.typeName)
		}
		e.ct = ct
	}
	if e.ct != nil {
		for _, c := range e.ct.children {
			if c != e {
				if err := s.resolve(c); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// global is the declaration a reference stands for.
func (s *Schema) global(e *element) *element {
	if e.ref {
		return s.elements[e.name]
	}
	return e
}

// Validate checks a document and returns every violation, each with its
// line (nil: it is valid).
func (s *Schema) Validate(r io.Reader) []error {
	dec := xml.NewDecoder(r)
	var errs []error
	fail := func(format string, a ...any) {
		line, _ := dec.InputPos()
		errs = append(errs, fmt.Errorf("line %d: "+format, append([]any{line}, a...)...))
	}
	var stack []*element // nil entries: inside an element already reported
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return append(errs, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			var decl *element
			switch {
			case len(stack) == 0:
				if decl = s.elements[name]; decl == nil {
					fail("the root <%s> is no element of the schema (it declares %s)", name, keys(s.elements))
				}
			case stack[len(stack)-1] == nil:
			case stack[len(stack)-1].text:
				fail("<%s> inside <%s>, whose content is text only", name, stack[len(stack)-1].name)
			default:
				parent := stack[len(stack)-1]
				if c, ok := parent.ct.children[name]; ok {
					decl = s.global(c)
				} else {
					fail("<%s> inside <%s>, which takes only %s", name, parent.name, keys(parent.ct.children))
				}
			}
			if decl != nil {
				s.attributes(decl, t.Attr, fail)
			}
			stack = append(stack, decl)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				if e := stack[len(stack)-1]; e != nil && !e.text && !e.ct.mixed && strings.TrimSpace(string(t)) != "" {
					fail("text inside <%s>, whose content is elements only", e.name)
				}
			}
		}
	}
	return errs
}

func (s *Schema) attributes(e *element, attrs []xml.Attr, fail func(string, ...any)) {
	var declared map[string]attribute
	if e.ct != nil {
		declared = e.ct.attrs
	}
	seen := map[string]bool{}
	for _, a := range attrs {
		if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" || a.Name.Space == "xml" {
			continue
		}
		seen[a.Name.Local] = true
		d, ok := declared[a.Name.Local]
		if !ok {
			fail("<%s> has the attribute %s, which the schema does not declare for it (it declares %s)", e.name, a.Name.Local, keys(declared))
			continue
		}
		if re := s.patterns[d.typeName]; re != nil && !re.MatchString(a.Value) {
			fail("<%s %s=%q>: not a %s (pattern %s)", e.name, a.Name.Local, a.Value, d.typeName, re)
		}
	}
	var missing []string
	for name, d := range declared {
		if d.required && !seen[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		fail("<%s> lacks the required attribute(s) %s", e.name, strings.Join(missing, ", "))
	}
}

func keys[V any](m map[string]V) string {
	if len(m) == 0 {
		return "none"
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// Load reads a schema file.
func Load(path string) (*Schema, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(f)
}
