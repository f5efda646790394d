package platform

// The shared types and each vendor's wire rules live in their own packages
// (wire, tencent, openim, conversation); these names keep the registry the one
// place callers ask.

import (
	"net/http"
	"time"

	"github.com/imhook/imhook/fixtures"
	"github.com/imhook/imhook/internal/platform/conversation"
	"github.com/imhook/imhook/internal/platform/openim"
	"github.com/imhook/imhook/internal/platform/tencent"
	"github.com/imhook/imhook/internal/platform/wire"
	"github.com/imhook/imhook/record"
)

type (
	Answer           = wire.Answer
	BodyFreeRequests = wire.BodyFreeRequests
	Consistency      = wire.Consistency
	Expect           = wire.Expect
	Judging          = wire.Judging
	Keep             = wire.Keep
	Params           = wire.Params
	Reply            = wire.Reply
	ScenarioOptions  = wire.ScenarioOptions
	Vendor           = wire.Vendor
	CallbackSettings = openim.CallbackSettings
	Settings         = openim.Settings
)

const (
	MaxReplyBytes        = wire.MaxReplyBytes
	MinScenarioCount     = wire.MinScenarioCount
	ModifiedText         = wire.ModifiedText
	ReplyDiscard         = wire.ReplyDiscard
	ReplyFail            = wire.ReplyFail
	ReplyModify          = wire.ReplyModify
	ReplyOK              = wire.ReplyOK
	ReplyReject          = wire.ReplyReject
	RuleActionCode       = wire.RuleActionCode
	RuleActionState      = wire.RuleActionState
	RuleApply            = wire.RuleApply
	RuleClientIP         = wire.RuleClientIP
	RuleCommand          = wire.RuleCommand
	RuleContentType      = wire.RuleContentType
	RuleEcho             = wire.RuleEcho
	RuleUnreadField      = wire.RuleUnreadField
	RuleShape            = wire.RuleShape
	RuleEmpty            = wire.RuleEmpty
	RuleEmptyObject      = wire.RuleEmptyObject
	RuleErrorCode        = wire.RuleErrorCode
	RuleExpect           = wire.RuleExpect
	RuleJSON             = wire.RuleJSON
	RuleKeyCase          = wire.RuleKeyCase
	RuleMissing          = wire.RuleMissing
	RuleNextCode         = wire.RuleNextCode
	RuleObject           = wire.RuleObject
	RuleOpenIMVersion    = wire.RuleOpenIMVersion
	RuleOptPlatform      = wire.RuleOptPlatform
	RuleRange            = wire.RuleRange
	RuleRefused          = wire.RuleRefused
	RuleRequestTime      = wire.RuleRequestTime
	RuleRequired         = wire.RuleRequired
	RuleSdkAppID         = wire.RuleSdkAppID
	RuleSign             = wire.RuleSign
	RuleStatus           = wire.RuleStatus
	RuleTimeout          = wire.RuleTimeout
	RuleTooLarge         = wire.RuleTooLarge
	RuleType             = wire.RuleType
	DefaultClientIP      = tencent.DefaultClientIP
	DefaultOptPlatform   = tencent.DefaultOptPlatform
	DefaultSdkAppID      = tencent.DefaultSdkAppID
	RuleStaleSign        = tencent.RuleStaleSign
	FormDocs             = openim.FormDocs
	RuleFriend           = conversation.RuleFriend
	RuleMember           = conversation.RuleMember
	RuleMessage          = conversation.RuleMessage
	RuleMsgSeq           = conversation.RuleMsgSeq
	RuleRead             = conversation.RuleRead
	RuleReadReceipt      = conversation.RuleReadReceipt
	RuleReadTime         = conversation.RuleReadTime
	RuleSeq              = conversation.RuleSeq
	RuleTimeOrder        = conversation.RuleTimeOrder
	RuleUnread           = conversation.RuleUnread
	RuleUser             = conversation.RuleUser
	ScenarioConversation = conversation.ScenarioConversation
)

var (
	ReplyModes       = wire.ReplyModes
	TencentPlatforms = tencent.Platforms
	OpenIMVersions   = openim.Versions
)

// AnswerOf is wire.AnswerOf.
func AnswerOf(v wire.Vendor, r wire.Reply, j wire.Judging) wire.Answer { return wire.AnswerOf(v, r, j) }

// AnswerBody is wire.AnswerBody.
func AnswerBody(v wire.Vendor, mode string, e *fixtures.Entry, request []byte, info string) []byte {
	return wire.AnswerBody(v, mode, e, request, info)
}

// JudgingFor is wire.JudgingFor.
func JudgingFor(e *fixtures.Entry, request []byte, payloadValid bool, budget time.Duration, expect record.Outcome) wire.Judging {
	return wire.JudgingFor(e, request, payloadValid, budget, expect)
}

// OpenIMForm is openim.Form.
func OpenIMForm(version string) (form string, rel fixtures.Release, err error) {
	return openim.Form(version)
}

// OpenIMWebhooksYML is openim.WebhooksYML.
func OpenIMWebhooksYML(u string) string { return openim.WebhooksYML(u) }

// ParseOpenIMWebhooks is openim.ParseWebhooks.
func ParseOpenIMWebhooks(data []byte, name string, version string) (*openim.Settings, error) {
	return openim.ParseWebhooks(data, name, version)
}

// ReplyModeFor is wire.ReplyModeFor.
func ReplyModeFor(outcome record.Outcome) string { return wire.ReplyModeFor(outcome) }

// RequestIndependent is wire.RequestIndependent.
func RequestIndependent(e *fixtures.Entry) bool { return wire.RequestIndependent(e) }

// Rewrites is wire.Rewrites.
func Rewrites(p wire.Params) bool { return wire.Rewrites(p) }

// SentBody is wire.SentBody.
func SentBody(req *http.Request, body []byte) []byte { return wire.SentBody(req, body) }

// Sign is tencent.Sign.
func Sign(token string, requestTime string) string { return tencent.Sign(token, requestTime) }
