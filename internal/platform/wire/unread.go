package wire

import (
	"fmt"
	"strings"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/record"
)

// RuleUnreadField is a reply field the platform does not read: an info
// finding, which --strict makes fail (record.FailsStrictly).
const RuleUnreadField = record.RuleUnreadField

// UnreadKey notes a key of a reply object that the platform does not read:
// neither a field of the vendor's reply contract (read) nor one the
// callback's reply section says the platform applies (the catalogue's
// data; j.Reply, for a before-callback). A key that differs from one of
// them only in case is left to the checks of the contract's fields (a
// missing field, a key's case). title names the platform.
func (f *Findings) UnreadKey(key string, read []string, j Judging, title string) {
	var spec *fixtures.ReplySpec
	if j.Kind == fixtures.Before {
		spec = j.Reply
	}
	if !readsKey(key, read, spec) {
		f.Add(record.Info, RuleUnreadField, key, unreadWords(key, read, spec, title, j.Command))
	}
}

// readsKey reports whether the platform reads a reply key (or one that
// differs from it only in case).
func readsKey(key string, read []string, spec *fixtures.ReplySpec) bool {
	for _, r := range read {
		if key == r {
			return true
		}
	}
	if spec != nil {
		for _, fd := range spec.Fields {
			if key == fd.Name {
				return true
			}
		}
	}
	for _, r := range read {
		if strings.EqualFold(key, r) {
			return true
		}
	}
	if spec != nil {
		for _, fd := range spec.Fields {
			if strings.EqualFold(key, fd.Name) {
				return true
			}
		}
	}
	return false
}

// unreadWords says that the platform does not read a key, and what it reads.
func unreadWords(key string, read []string, spec *fixtures.ReplySpec, title, command string) string {
	of := "this reply"
	if command != "" {
		of = "a " + command + " reply"
	}
	fields := strings.Join(read, ", ")
	if spec != nil && len(spec.Fields) > 0 {
		names := make([]string, 0, len(spec.Fields))
		for _, fd := range spec.Fields {
			names = append(names, fd.Name)
		}
		if len(names) > 6 {
			names = append(names[:6], "...")
		}
		fields += fmt.Sprintf(", and the %d it applies: %s", len(spec.Fields), strings.Join(names, ", "))
	} else {
		fields += ", nothing else"
	}
	return fmt.Sprintf("%s does not read %s from %s, so it changes nothing (it reads %s)", title, key, of, fields)
}
