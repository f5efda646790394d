package cmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform"
	"github.com/imhook/imhook/internal/ui"
)

func newFixturesCmd(g *Globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "fixtures",
		Short: "The embedded catalogue of callbacks",
		Long: `The catalogue is imhook's description of every callback it knows: fields and their
types, bounds and cross-field rules, the document it comes from and the document's quirks.
Generation, validation, the receiver and this help all read it.`,
		Example: `  imhook fixtures list --vendor tencent
  imhook fixtures show C2C.CallbackAfterSendMsg --seed 7             # a generated payload
  imhook fixtures show C2C.CallbackAfterSendMsg --doc                # fields, rules, quirks
  imhook fixtures show C2C.CallbackAfterSendMsg --sample             # the document's own sample
  imhook fixtures show C2C.CallbackAfterSendMsg > body.json          # a body to edit for --data
  imhook fixtures schema C2C.CallbackAfterSendMsg > c2c.schema.json  # JSON Schema`,
	}
	c.AddCommand(newFixturesListCmd(g), newFixturesShowCmd(g), newFixturesSchemaCmd(g))
	groupRun(c)
	return c
}

type fixturesListOptions struct {
	Vendor string
}

func newFixturesListCmd(g *Globals) *cobra.Command {
	o := &fixturesListOptions{}
	c := &cobra.Command{
		Use:   "list",
		Short: "List the callbacks: command, vendor, kind (before/after), title",
		Example: `  imhook fixtures list
  imhook fixtures list --vendor openim
  imhook fixtures list -o json | jq -r .command`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runFixturesList(g, o) },
	}
	c.Flags().StringVar(&o.Vendor, "vendor", "", "only this vendor's callbacks: "+strings.Join(platform.Names(), " or "))
	_ = c.RegisterFlagCompletionFunc("vendor", fixedCompletion(platform.Names()...))
	return c
}

func runFixturesList(g *Globals, o *fixturesListOptions) error {
	if err := checkVendor(o.Vendor); err != nil {
		return err
	}
	out := g.Streams.Out
	var tw *tabwriter.Writer
	if !g.JSON() {
		tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "COMMAND\tVENDOR\tKIND\tTITLE")
	}
	for _, e := range fixtures.Default().Entries() {
		if o.Vendor != "" && e.Vendor != o.Vendor {
			continue
		}
		if g.JSON() {
			b, _ := json.Marshal(map[string]string{"command": e.Command, "vendor": e.Vendor, "kind": e.Kind, "title": e.Title, "doc": e.Doc})
			fmt.Fprintf(out, "%s\n", b)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Command, e.Vendor, e.Kind, e.Title)
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

type fixturesShowOptions struct {
	payload payloadOptions
	Sample  bool
	Doc     bool
}

func newFixturesShowCmd(g *Globals) *cobra.Command {
	o := &fixturesShowOptions{}
	c := &cobra.Command{
		Use:   "show COMMAND",
		Short: "Print a generated payload of a callback as pretty JSON",
		Long: `Print a generated payload of COMMAND as pretty JSON on stdout. Payloads are realistic and
varied, pass the catalogue's rules, and are identical for the same --seed (and --now).`,
		Example: `  imhook fixtures show C2C.CallbackAfterSendMsg
  imhook fixtures show C2C.CallbackAfterSendMsg --seed 7 --set MsgBody.0.MsgContent.Text=hello
  imhook fixtures show C2C.CallbackAfterSendMsg --variant filtered
  imhook fixtures show Group.CallbackAfterReadReceipt --sample   # the document's own sample
  imhook fixtures show callbackAfterGroupMsgReadCommand --doc     # document, fields, quirks`,
		Args:              oneArg("COMMAND (see 'imhook fixtures list')"),
		ValidArgsFunction: completeCommands(nil),
		RunE: func(c *cobra.Command, args []string) error {
			if err := o.payload.resolve(c); err != nil {
				return err
			}
			o.payload.warn = g.warn
			return runFixturesShow(g, o, args[0])
		},
	}
	o.payload.register(c)
	c.Flags().BoolVar(&o.Sample, "sample", false, "print the document's sample (made valid JSON) instead of a generated payload")
	c.Flags().BoolVar(&o.Doc, "doc", false, "describe the callback: document links, fields, rules, variants and the document's quirks")
	return c
}

func runFixturesShow(g *Globals, o *fixturesShowOptions, name string) error {
	es, err := lookupEntries(g, []string{name})
	if err != nil {
		return err
	}
	e := es[0]
	if o.Doc {
		return describeEntry(g, e)
	}
	var body []byte
	if o.Sample {
		body, err = o.payload.edit(e, e.Sample)
	} else {
		body, err = o.payload.generate(e, 0)
	}
	if err != nil {
		return err
	}
	if g.JSON() {
		var buf bytes.Buffer
		if err := json.Compact(&buf, body); err != nil {
			return usageErrorf("the payload is not JSON after --set: %v", err)
		}
		buf.WriteByte('\n')
		_, err = g.Streams.Out.Write(buf.Bytes())
		return err
	}
	_, err = g.Streams.Out.Write(ui.PrettyJSON(body))
	return err
}

// describeWords are the flags beside the parts of fixtures show --doc.
var describeWords = &fixtures.DescribeWords{Variant: "--variant", Sample: "--sample", Release: "--openim-version generates it"}

func describeEntry(g *Globals, e *fixtures.Entry) error {
	_, err := io.WriteString(g.Streams.Out, fixtures.Describe(e, g.OutPalette().Bold, describeWords))
	return err
}

type fixturesSchemaOptions struct {
	Reply bool
}

func newFixturesSchemaCmd(g *Globals) *cobra.Command {
	o := &fixturesSchemaOptions{}
	c := &cobra.Command{
		Use:   "schema COMMAND",
		Short: "Print a JSON Schema (draft 2020-12) of a callback's request, or of the vendor's reply",
		Long: `Print a JSON Schema (draft 2020-12) of COMMAND's request body, derived from the catalogue:
types, required fields, const and enum values, bounds, lengths, array sizes, and the alternative forms
the checker accepts (as anyOf). Cross-field rules such as MsgKey templates are not expressed; imhook
validate checks them. With --reply, print the schema of the reply the callback's vendor expects.`,
		Example: `  imhook fixtures schema C2C.CallbackAfterSendMsg > c2c-after-send.schema.json
  imhook fixtures schema callbackBeforeSendSingleMsgCommand --reply`,
		Args:              oneArg("COMMAND (see 'imhook fixtures list')"),
		ValidArgsFunction: completeCommands(nil),
		RunE:              func(c *cobra.Command, args []string) error { return runFixturesSchema(g, o, args[0]) },
	}
	c.Flags().BoolVar(&o.Reply, "reply", false, "the schema of the vendor's reply instead of the request")
	return c
}

func runFixturesSchema(g *Globals, o *fixturesSchemaOptions, name string) error {
	es, err := lookupEntries(g, []string{name})
	if err != nil {
		return err
	}
	e := es[0]
	s := e.Schema()
	if o.Reply {
		s = platform.For(e.Vendor).ReplySchema(e)
	}
	var b []byte
	if g.JSON() {
		b, err = json.Marshal(s)
	} else {
		b, err = json.MarshalIndent(s, "", "  ")
	}
	if err != nil {
		return err
	}
	_, err = g.Streams.Out.Write(append(b, '\n'))
	return err
}
