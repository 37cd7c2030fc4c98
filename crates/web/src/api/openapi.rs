//! The OpenAPI 3.1 document, generated from the route table: every API route
//! appears with its method, tag (bounded context), parameters, request and
//! response schemas, and the problem document for errors.

use axum::Json;
use serde_json::{Map, Value, json};

use crate::routes::specs;

fn number_or_null() -> Value {
    json!({"type": ["number", "null"]})
}

fn window_schema() -> Value {
    json!({"type": "object", "properties": {
        "variant": {"type": "string", "enum": ["default", "range"], "description": "default: the 28 days before the end of the data (research/health-measures.md)"},
        "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date", "description": "included"},
        "end": {"type": "string", "format": "date", "description": "E, the midnight after the last day"}}})
}

fn verdict_enum() -> Value {
    json!({"type": "string", "enum": ["community", "hybrid", "audience", "not_enough_data"]})
}

/// Community health, by the definitions of `research/health-measures.md`.
fn funnel_schema() -> Value {
    let cohort = json!({"type": "object", "properties": {
        "joined": {"type": "integer"}, "contributed": {"type": "integer"}, "contribution_rate": number_or_null(),
        "eligible_30": {"type": "integer", "description": "joined at least 30 days ago"}, "active_30": {"type": "integer"}, "retention_30": number_or_null(),
        "eligible_90": {"type": "integer"}, "active_90": {"type": "integer"}, "retention_90": number_or_null()}});
    json!({"type": "object", "properties": {
        "campaign_id": {"type": ["integer", "null"]}, "campaign_name": {"type": ["string", "null"]},
        "posts_published": {"type": "integer"}, "engagements": {"type": "integer"},
        "clicks": {"type": ["integer", "null"], "description": "clicks on the tracked links (/r/…) of the campaign's published posts, all time, previews and crawlers left out; null: none of them was published with link tracking"},
        "through_campaigns": cohort, "on_their_own": cohort,
        "definitions": {"type": "object", "additionalProperties": {"type": "string"}}}})
}

fn audience_schema() -> Value {
    let count_or_null = json!({"type": ["integer", "null"], "description": "null: not reported by the network (never 0)"});
    let clicks = json!({"type": ["integer", "null"], "description": "clicks on the posts' tracked links (/r/…), all time per post, previews and crawlers left out; null when a post was published without link tracking (never 0)"});
    let kpis = json!({"type": "object", "properties": {
        "n_posts": {"type": "integer"}, "n_measured": {"type": "integer", "description": "posts whose metrics were read back"},
        "likes": {"type": "integer"}, "shares": {"type": "integer"}, "replies": {"type": "integer"}, "quotes": {"type": "integer"},
        "clicks": clicks, "engagements": {"type": "integer", "description": "likes + shares + replies + quotes (+ each post's clicks where they are counted)"},
        "impressions": count_or_null, "reach": count_or_null, "followers": count_or_null,
        "engagement_rate": {"type": "object", "properties": {
            "definition": {"type": "string", "enum": ["per_impression", "per_reach", "per_follower", "not_computable"]},
            "value": number_or_null(), "explanation": {"type": "string"}}}}});
    let change = json!({"type": "object", "properties": {
        "current": {"type": "integer"}, "previous": {"type": "integer"}, "delta": {"type": "integer"}, "ratio": number_or_null()}});
    let comparison = json!({"type": "object", "properties": {
        "posts": change, "engagements": change, "engagement_rate_delta": number_or_null()}});
    let period = json!({"type": "object", "properties": {
        "from_day": {"type": "integer", "description": "days since 1970-01-01"}, "to_day": {"type": "integer"}}});
    json!({"type": "object", "properties": {
        "workspace": {"type": "string"}, "from": {"type": "string"}, "to": {"type": "string"},
        "variant": {"type": "string", "enum": ["default", "range"]},
        "previous_from": {"type": "string"}, "previous_to": {"type": "string"},
        "channel_id": {"type": ["integer", "null"]}, "channel_name": {"type": ["string", "null"]},
        "campaign_id": {"type": ["integer", "null"]}, "campaign_name": {"type": ["string", "null"]},
        "not_reported": {"type": "object", "additionalProperties": {"type": "string"}},
        "period": period, "previous_period": period,
        "totals": kpis, "previous_totals": kpis, "comparison": comparison,
        "by_channel": {"type": "array", "items": {"type": "object", "properties": {
            "channel_id": {"type": "integer"}, "channel_name": {"type": "string"}, "network": {"type": "string"},
            "kpis": kpis, "previous": kpis, "comparison": comparison}}},
        "by_campaign": {"type": "array", "items": {"type": "object", "properties": {
            "campaign_id": {"type": ["integer", "null"], "description": "null: posts in no campaign"}, "campaign_name": {"type": "string"},
            "kpis": kpis, "previous": kpis, "comparison": comparison}}},
        "top_posts": {"type": "array", "items": {"type": "object", "properties": {
            "target_id": {"type": "integer"}, "post_id": {"type": "integer"}, "channel_id": {"type": "integer"},
            "channel_name": {"type": "string"}, "campaign_name": {"type": ["string", "null"]},
            "published_at": {"type": "integer", "description": "milliseconds since the Unix epoch"},
            "text": {"type": "string"}, "remote_url": {"type": ["string", "null"]}, "engagements": {"type": "integer"}}}},
        "daily_engagements": {"type": "array", "description": "[day, engagements of the posts published that day]",
            "items": {"type": "array", "items": {"type": "integer"}}}}})
}

fn health_schema() -> Value {
    let share = json!({"type": "object", "properties": {
        "numerator": {"type": "integer"}, "denominator": {"type": "integer"}, "share": number_or_null()}});
    json!({"type": "object", "properties": {
        "scope": {"type": "object", "properties": {"workspace": {"type": "string"}, "space_id": {"type": ["integer", "null"]},
            "space_name": {"type": ["string", "null"]}, "space_kind": {"type": ["string", "null"]}}},
        "window": window_schema(),
        "n_interactions": {"type": "integer"},
        "active": {"type": "object", "properties": {
            "dau": {"type": "number"}, "wau": {"type": "number"}, "mau": {"type": "integer"}, "stickiness": number_or_null(),
            "daily": {"type": "array", "items": {"type": "object", "properties": {
                "day": {"type": "integer", "description": "days since 1970-01-01"}, "dau": {"type": "integer"}, "wau": {"type": "integer"}, "mau": {"type": "integer"}}}}}},
        "member_to_member": share, "member_authored": share, "member_posts": share,
        "first_response": {"type": "object", "properties": {
            "member_threads": {"type": "integer"}, "answered_threads": {"type": "integer"}, "peer_first_threads": {"type": "integer"},
            "peer_first_response_rate": number_or_null(), "ttfr_median_s": number_or_null(),
            "ttfr_member_median_s": number_or_null(), "ttfr_staff_median_s": number_or_null()}},
        "reciprocity": {"type": "object", "properties": {
            "links": {"type": "integer"}, "reciprocated_links": {"type": "integer"}, "nodes": {"type": "integer"},
            "r": number_or_null(), "density": number_or_null(), "rho": number_or_null()}},
        "connectivity": {"type": "object", "properties": {
            "nodes": {"type": "integer"}, "largest_component": {"type": "integer"}, "lcc_share": number_or_null()}},
        "newcomers": {"type": "object", "properties": {
            "newcomers": {"type": "integer"}, "activated": {"type": "integer"}, "activation_rate": number_or_null()}},
        "newcomers_by_join": {"type": ["object", "null"], "properties": {
            "newcomers": {"type": "integer"}, "activated": {"type": "integer"}, "activation_rate": number_or_null()}},
        "retention": {"type": "object", "properties": {
            "cohorts": {"type": "array", "items": {"type": "object", "properties": {
                "week_start_day": {"type": "integer"}, "size": {"type": "integer"},
                "cells": {"type": "array", "items": {"type": "object", "properties": {
                    "k": {"type": "integer"}, "active": {"type": "integer"}, "share": number_or_null()}}}}}},
            "retention_w1": number_or_null(), "retention_w4": number_or_null(), "retention_w12": number_or_null()}},
        "at_risk": {"type": "object", "properties": {
            "active_days_29_56": {"type": "integer"}, "at_risk": {"type": "integer"}, "lapsed": {"type": "integer"}, "at_risk_share": number_or_null()}},
        "n_champions": {"type": "integer"},
        "verdict": {"type": "object", "properties": {
            "verdict": verdict_enum(), "member_to_member_share": number_or_null(), "peer_first_response_rate": number_or_null(),
            "lcc_share": number_or_null(), "rho": number_or_null(), "active_members": {"type": "integer"},
            "reasons": {"type": "array", "items": {"type": "string"}}}}}})
}

fn schemas() -> Value {
    let timestamp =
        json!({"type": "integer", "description": "milliseconds since the Unix epoch, UTC"});
    let role = json!({"type": "string", "enum": ["admin", "marketer", "community_manager", "moderator", "member"]});
    let token = json!({"type": "object", "required": ["id", "name", "prefix", "created_at"], "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "prefix": {"type": "string"},
        "created_at": timestamp, "last_used_at": {"type": ["integer", "null"]}, "revoked_at": {"type": ["integer", "null"]}}});
    let member = json!({"type": "object", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "is_staff": {"type": "boolean"}, "joined_at": timestamp,
        "n_interactions": {"type": "integer"}, "last_active_at": {"type": ["integer", "null"]}}});
    let space = json!({"type": "object", "properties": {
        "id": {"type": "integer"}, "kind": {"type": "string", "enum": ["page", "group"]}, "slug": {"type": "string"},
        "name": {"type": "string"}, "description": {"type": "string"}, "network": {"type": "string"}}});
    let post = json!({"type": "object", "properties": {
        "id": {"type": "integer"}, "space_id": {"type": "integer"}, "space_name": {"type": "string"}, "network": {"type": "string"},
        "body": {"type": "string"}, "status": {"type": "string", "enum": ["draft", "scheduled", "published"]}, "at": timestamp,
        "n_likes": {"type": "integer"}, "n_shares": {"type": "integer"}, "n_replies": {"type": "integer"}}});
    let activity = json!({"type": "object", "properties": {
        "space_id": {"type": "integer"}, "space_name": {"type": "string"}, "kind": {"type": "string"},
        "n_interactions": {"type": "integer"}, "n_directed": {"type": "integer"}, "n_member_to_member": {"type": "integer"},
        "n_active_members": {"type": "integer"}, "member_to_member_share": {"type": ["number", "null"]}}});
    let job = json!({"type": "object", "properties": {
        "id": {"type": "integer"}, "kind": {"type": "string"}, "state": {"type": "string"}, "attempts": {"type": "integer"},
        "max_attempts": {"type": "integer"}, "run_at": timestamp, "last_error": {"type": ["string", "null"]}, "updated_at": timestamp}});
    let invitation = json!({"type": "object", "properties": {
        "id": {"type": "integer"}, "workspace_slug": {"type": "string"}, "email": {"type": "string"}, "role": role,
        "created_at": timestamp, "expires_at": timestamp, "accepted_at": {"type": ["integer", "null"]}}});
    json!({
        "Problem": {"type": "object", "description": "RFC 9457 problem document", "required": ["type", "title", "status"], "properties": {
            "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "object", "properties": {"pointer": {"type": "string"}, "detail": {"type": "string"}}}}}},
        "Me": {"type": "object", "required": ["id", "email", "name", "workspaces"], "properties": {
            "id": {"type": "integer"}, "email": {"type": "string"}, "name": {"type": "string"},
            "workspaces": {"type": "array", "items": {"type": "object", "required": ["slug", "name", "role"], "properties": {
                "slug": {"type": "string"}, "name": {"type": "string"}, "role": role}}}}},
        "ApiToken": token,
        "ApiTokenList": {"type": "array", "items": {"$ref": "#/components/schemas/ApiToken"}},
        "NewToken": {"type": "object", "required": ["name"], "additionalProperties": false, "properties": {"name": {"type": "string", "maxLength": 80}}},
        "CreatedToken": {"allOf": [{"$ref": "#/components/schemas/ApiToken"}, {"type": "object", "required": ["secret"], "properties": {"secret": {"type": "string", "description": "shown once"}}}]},
        "Member": member,
        "MemberPage": {"type": "object", "required": ["items"], "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Member"}}, "next_cursor": {"type": ["string", "null"]}}},
        "Space": space,
        "SpaceList": {"type": "array", "items": {"$ref": "#/components/schemas/Space"}},
        "PagePost": post,
        "PagePostList": {"type": "array", "items": {"$ref": "#/components/schemas/PagePost"}},
        "SpaceActivity": activity,
        "SpaceActivityList": {"type": "array", "items": {"$ref": "#/components/schemas/SpaceActivity"}},
        "Health": health_schema(),
        "Audience": audience_schema(),
        "Funnel": funnel_schema(),
        "Verdict": {"type": "object", "description": "The audience-or-community verdict of a space over the definitions' window", "properties": {
            "space_id": {"type": "integer"}, "space_name": {"type": "string"}, "space_kind": {"type": "string"}, "window": window_schema(),
            "verdict": verdict_enum(), "member_to_member_share": number_or_null(), "peer_first_response_rate": number_or_null(),
            "lcc_share": number_or_null(), "rho": number_or_null(), "active_members": {"type": "integer"},
            "reasons": {"type": "array", "items": {"type": "string"}},
            "thresholds": {"type": "object", "additionalProperties": {"type": "number"}}}},
        "MemberDetail": {"type": "object", "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"}, "handle": {"type": "string"}, "bio": {"type": "string"},
            "interests": {"type": "array", "items": {"type": "string"}}, "joined_at": timestamp, "is_staff": {"type": "boolean"},
            "visible_to_members": {"type": "boolean"},
            "identities": {"type": "array", "items": {"type": "object", "properties": {
                "kind": {"type": "string", "description": "email, account or import:<source>"}, "value": {"type": "string"}}}},
            "activity": {"type": "object", "properties": {
                "n_interactions": {"type": "integer"}, "n_received": {"type": "integer"},
                "first_at": {"type": ["integer", "null"], "description": "seconds since the Unix epoch"},
                "last_at": {"type": ["integer", "null"], "description": "seconds since the Unix epoch"},
                "by_kind": {"type": "object", "additionalProperties": {"type": "integer"}},
                "by_space": {"type": "object", "additionalProperties": {"type": "integer"}, "description": "keyed by space id"}}}}},
        "NewInvitation": {"type": "object", "required": ["email", "role"], "additionalProperties": false, "properties": {"email": {"type": "string"}, "role": role}},
        "Invitation": invitation,
        "Group": {"type": "object", "properties": {
            "id": {"type": "integer"}, "slug": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"},
            "visibility": {"type": "string", "enum": ["public", "private", "invite_only"]}, "rules": {"type": "string"},
            "rules_version": {"type": "integer"}, "membership": {"oneOf": [{"$ref": "#/components/schemas/GroupMembership"}, {"type": "null"}]}}},
        "GroupList": {"type": "array", "items": {"$ref": "#/components/schemas/Group"}},
        "NewGroup": {"type": "object", "required": ["slug", "name"], "additionalProperties": false, "properties": {
            "slug": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"},
            "visibility": {"type": "string", "enum": ["public", "private", "invite_only"]}, "rules": {"type": "string"}}},
        "GroupMembership": {"type": "object", "properties": {
            "space_id": {"type": "integer"}, "member_id": {"type": "integer"}, "role": {"type": "string"}, "active": {"type": "boolean"},
            "rules_version": {"type": "integer"}, "joined_at": timestamp}},
        "Join": {"type": "object", "required": ["accept_rules"], "additionalProperties": false, "properties": {"accept_rules": {"type": "boolean"}}},
        "ThreadSummary": {"type": "object", "properties": {
            "id": {"type": "integer"}, "space_id": {"type": "integer"}, "kind": {"type": "string", "enum": ["discussion", "question"]},
            "solved": {"type": "boolean"}, "title": {"type": "string"}, "author_name": {"type": "string"}, "created_at": timestamp,
            "n_replies": {"type": "integer"}, "last_activity_at": timestamp}},
        "ThreadList": {"type": "array", "items": {"$ref": "#/components/schemas/ThreadSummary"}},
        "Thread": {"type": "object", "properties": {
            "id": {"type": "integer"}, "space_id": {"type": "integer"}, "kind": {"type": "string"}, "accepted_reply_id": {"type": ["integer", "null"]},
            "title": {"type": "string"}, "author_id": {"type": "integer"}, "author_name": {"type": "string"}, "body": {"type": "string"},
            "body_html": {"type": "string", "description": "sanitised HTML"}, "created_at": timestamp,
            "edited_at": {"type": ["string", "null"], "format": "date-time"},
            "reactions": {"type": "array", "items": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]}},
            "replies": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "integer"}, "author_id": {"type": "integer"}, "author_name": {"type": "string"}, "body": {"type": "string"},
                "body_html": {"type": "string"}, "quote_reply_id": {"type": ["integer", "null"]}, "created_at": timestamp,
                "reactions": {"type": "array", "items": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]}}}}}}},
        "NewThread": {"type": "object", "required": ["title", "body"], "additionalProperties": false, "properties": {
            "title": {"type": "string", "maxLength": 200}, "body": {"type": "string", "description": "Markdown, up to 20,000 characters"},
            "kind": {"type": "string", "enum": ["discussion", "question"]},
            "tags": {"type": "array", "maxItems": 5, "items": {"type": "string", "maxLength": 24}}}},
        "NewReply": {"type": "object", "required": ["body"], "additionalProperties": false, "properties": {
            "body": {"type": "string"}, "quote_reply_id": {"type": ["integer", "null"]}}},
        "Created": {"type": "object", "properties": {"id": {"type": "integer"}}},
        "MergeSuggestionList": {"type": "array", "items": {"type": "object", "properties": {"first": {"type": "integer"}, "first_name": {"type": "string"},
            "second": {"type": "integer"}, "second_name": {"type": "string"}, "reasons": {"type": "array", "items": {"type": "string"}}}}},
        "NewMerge": {"type": "object", "required": ["kept_id", "merged_id"], "properties": {"kept_id": {"type": "integer"}, "merged_id": {"type": "integer"}, "reason": {"type": "string"}}},
        "NewIdentity": {"type": "object", "required": ["network", "value"], "properties": {"network": {"type": "string", "enum": ["email", "bluesky", "mastodon", "matrix", "other"]}, "value": {"type": "string"}}},
        "NewFlag": {"type": "object", "required": ["content_type", "content_id", "reason"], "properties": {
            "content_type": {"type": "string", "enum": ["thread", "reply"]}, "content_id": {"type": "integer"},
            "reason": {"type": "string", "enum": ["spam", "harassment", "off_topic", "other"]}, "note": {"type": "string", "description": "required with other"}}},
        "FlagOutcome": {"type": "object", "properties": {"review_item_id": {"type": "integer"}, "weight": {"type": "integer", "description": "1 + trust level (staff 5) + record bonus"},
            "score": {"type": "integer"}, "hidden": {"type": "boolean"}}},
        "ReviewItem": {"type": "object", "properties": {"id": {"type": "integer"}, "kind": {"type": "string", "enum": ["flagged", "held", "join_request", "appeal"]},
            "status": {"type": "string", "enum": ["pending", "agreed", "disagreed", "ignored"]}, "space_id": {"type": ["integer", "null"]},
            "content": {"type": ["object", "null"], "properties": {"type": {"type": "string"}, "id": {"type": "integer"}}}, "subject_id": {"type": "integer"},
            "subject_name": {"type": "string"}, "payload": {"type": "object"}, "reasons": {"type": "array", "items": {"type": "string"}}, "score": {"type": "integer"},
            "claimed_by": {"type": ["integer", "null"]}, "decided_by": {"type": ["integer", "null"]}, "action": {"type": ["string", "null"]}, "created_at": timestamp,
            "flags": {"type": "array", "items": {"type": "object"}}}},
        "ReviewQueue": {"type": "array", "items": {"$ref": "#/components/schemas/ReviewItem"}},
        "Decision": {"type": "object", "required": ["decision"], "properties": {"decision": {"type": "string", "enum": ["agree", "disagree", "ignore"]},
            "action": {"type": "string", "enum": ["remove", "hide"], "description": "agreeing with flags"}, "reason": {"type": "string"}}},
        "AutomodRule": {"type": "object", "properties": {"id": {"type": "integer"}, "space_id": {"type": ["integer", "null"]}, "matcher": {"type": "string", "enum": ["words", "regex"]},
            "pattern": {"type": "string"}, "action": {"type": "string", "enum": ["block", "hold", "alert"]}, "note": {"type": "string"}, "created_at": timestamp}},
        "AutomodRuleList": {"type": "array", "items": {"$ref": "#/components/schemas/AutomodRule"}},
        "NewAutomodRule": {"type": "object", "required": ["matcher", "pattern", "action"], "properties": {"matcher": {"type": "string", "enum": ["words", "regex"]},
            "pattern": {"type": "string", "description": "words (comma or newline separated, word* for any ending) or a Rust regex; refused with the parser's message"},
            "action": {"type": "string", "enum": ["block", "hold", "alert"]}, "note": {"type": "string"}, "space_id": {"type": ["integer", "null"]}}},
        "NewSanction": {"type": "object", "required": ["kind", "reason"], "properties": {
            "kind": {"type": "string", "enum": ["hide_content", "remove_content", "warn", "mute", "suspend", "ban"]}, "reason": {"type": "string"}, "rule": {"type": "string"},
            "hours": {"type": "integer", "minimum": 1, "maximum": 8760}, "space_id": {"type": "integer"}, "content_type": {"type": "string", "enum": ["thread", "reply"]}, "content_id": {"type": "integer"}}},
        "Sanction": {"type": "object", "properties": {"id": {"type": "integer"}, "member_id": {"type": "integer"}, "kind": {"type": "string"}, "reason": {"type": "string"},
            "rule": {"type": "string"}, "space_id": {"type": ["integer", "null"]}, "created_at": timestamp, "expires_at": {"type": ["integer", "null"]}, "ended_at": {"type": ["integer", "null"]},
            "action_id": {"type": ["integer", "null"], "description": "the log entry an appeal names"}}},
        "ModerationLog": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}, "action": {"type": "string"}, "label": {"type": "string"},
            "moderator": {"type": ["string", "null"]}, "member": {"type": ["string", "null"]}, "space": {"type": ["string", "null"]}, "reason": {"type": "string"}, "created_at": {"type": "string"}}}},
        "AuditLog": {"type": "array", "items": {"type": "object"}},
        "NewAppeal": {"type": "object", "required": ["action_id", "text"], "properties": {"action_id": {"type": "integer"}, "text": {"type": "string", "minLength": 10, "maxLength": 2000}}},
        "Channel": {"type": "object", "properties": {
            "id": {"type": "integer"}, "network": {"type": "string", "enum": ["mastodon", "bluesky", "matrix", "email", "webhook", "linkedin", "facebook", "x", "threads"]},
            "name": {"type": "string"}, "base_url": {"type": "string"}, "account": {"type": "string"}, "timezone": {"type": "string", "description": "IANA"},
            "max_chars": {"type": "integer"}, "max_media": {"type": "integer"}, "chars_per_url": {"type": "integer"},
            "paused": {"type": "boolean"}, "needs_reconnect": {"type": "boolean"}, "last_success_at": {"type": ["integer", "null"]},
            "last_error": {"type": ["string", "null"]}}},
        "ChannelList": {"type": "array", "items": {"$ref": "#/components/schemas/Channel"}},
        "NewChannel": {"type": "object", "required": ["network"], "additionalProperties": false, "properties": {
            "network": {"type": "string"}, "name": {"type": "string"}, "base_url": {"type": "string", "description": "instance, PDS, homeserver or webhook URL"},
            "account": {"type": "string", "description": "Bluesky handle, Matrix room id, Facebook page id, LinkedIn organization URN"},
            "timezone": {"type": "string", "description": "IANA, default UTC"}, "access_token": {"type": "string"}, "app_password": {"type": "string", "description": "Bluesky"}}},
        "CreatedChannel": {"allOf": [{"$ref": "#/components/schemas/Channel"}, {"type": "object", "properties": {"webhook_secret": {"type": "string", "description": "shown once"}}}]},
        "NewPost": {"type": "object", "required": ["variants"], "additionalProperties": false, "properties": {
            "variants": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["channel_id", "text"], "properties": {
                "channel_id": {"type": "integer"}, "text": {"type": "string"}, "media": {"type": "array"}}}},
            "scheduled_at": {"type": "string", "format": "date-time", "description": "absent: now"}, "draft": {"type": "boolean"},
            "campaign_id": {"type": "integer", "description": "its UTM parameters tag the links"}}},
        "Post": {"type": "object", "properties": {
            "id": {"type": "integer"}, "status": {"type": "string", "enum": ["draft", "scheduled", "publishing", "published", "partial", "failed", "unconfirmed"]},
            "scheduled_at": {"type": ["integer", "null"]}, "targets": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "integer"}, "channel_id": {"type": "integer"}, "network": {"type": "string"}, "text": {"type": "string"},
                "status": {"type": "string", "enum": ["draft", "scheduled", "publishing", "published", "retrying", "failed", "unconfirmed"]},
                "remote_id": {"type": ["string", "null"]}, "remote_url": {"type": ["string", "null"]}, "message": {"type": ["string", "null"]},
                "next_attempt_at": {"type": ["integer", "null"]}}}},
            "attempts": {"type": "array", "items": {"type": "object", "properties": {
                "target_id": {"type": "integer"}, "started_at": {"type": "integer"}, "outcome": {"type": "string"}, "request": {"type": "string", "description": "secrets redacted"},
                "http_status": {"type": ["integer", "null"]}, "response": {"type": "string"}, "message": {"type": ["string", "null"]}}}}}},
        "Review": {"type": "object", "additionalProperties": false, "properties": {
            "scheduled_at": {"type": "string", "format": "date-time", "description": "review: the time it goes out once approved"},
            "comment": {"type": "string", "description": "required to reject"}}},
        "ReviewedPost": {"allOf": [{"$ref": "#/components/schemas/Post"}, {"type": "object", "properties": {
            "approval": {"type": "string", "enum": ["none", "pending", "approved", "rejected"]},
            "history": {"type": "array", "items": {"type": "object", "properties": {
                "member_id": {"type": "integer"}, "member_name": {"type": "string"},
                "action": {"type": "string", "enum": ["created", "review_requested", "approved", "rejected", "edited", "moved", "queued"]},
                "comment": {"type": "string"}, "at": {"type": "integer"}}}}}}]},
        "Campaign": {"type": "object", "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"}, "goal": {"type": "string"},
            "starts_at": {"type": ["integer", "null"]}, "ends_at": {"type": ["integer", "null"]}, "color": {"type": "string"},
            "utm": {"type": "object", "properties": {"source": {"type": "string"}, "medium": {"type": "string"}, "campaign": {"type": "string"}}}}},
        "CampaignList": {"type": "array", "items": {"$ref": "#/components/schemas/Campaign"}},
        "NewCampaign": {"type": "object", "required": ["name"], "additionalProperties": false, "properties": {
            "name": {"type": "string", "maxLength": 80}, "goal": {"type": "string"}, "starts_on": {"type": "string", "format": "date"},
            "ends_on": {"type": "string", "format": "date"}, "color": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
            "utm_source": {"type": "string"}, "utm_medium": {"type": "string"}, "utm_campaign": {"type": "string"}}},
        "Queue": {"type": "object", "required": ["slots"], "additionalProperties": false, "properties": {
            "timezone": {"type": "string", "description": "the channel's IANA timezone; absent in a PUT, it stays as it is"},
            "paused": {"type": "boolean", "description": "a paused queue refuses \"add to queue\"; absent in a PUT, it stays as it is"},
            "slots": {"type": "array", "maxItems": 100, "description": "weekly posting times on the channel's wall clock, weekday then time order", "items": {
                "type": "object", "required": ["weekday", "time"], "additionalProperties": false, "properties": {
                    "weekday": {"type": "string", "enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]},
                    "time": {"type": "string", "pattern": "^([01]?[0-9]|2[0-3]):[0-5][0-9]$", "description": "24-hour clock, e.g. 09:00"}}}}}},
        "BestTimes": {"type": "object", "required": ["source", "n_posts", "description", "grid", "timezone", "next"], "properties": {
            "source": {"type": "string", "enum": ["channel", "workspace", "default"], "description": "the channel's measured posts of the last 16 weeks when it has 20, else the workspace's, else a default curve"},
            "n_posts": {"type": "integer", "description": "measured posts the grid comes from (0 for the default)"},
            "description": {"type": "string", "description": "the source, in a sentence"},
            "grid": {"type": "array", "minItems": 7, "maxItems": 7, "description": "Monday first, on the channel's wall clock: mean engagement per post (likes + shares + replies + quotes) by hour, smoothed over the two hours either side and cautious (every hour also counts one imagined post that earned nothing); relative 0–1 for the default",
                "items": {"type": "array", "minItems": 24, "maxItems": 24, "items": {"type": "number"}}},
            "timezone": {"type": "string", "description": "IANA"},
            "next": {"type": "array", "maxItems": 3, "description": "the three best free hours of the coming week, on different days, in time order", "items": {"type": "string", "format": "date-time"}}}},
        "CalendarWindow": {"type": "object", "required": ["from", "to", "posts", "events"], "properties": {
            "from": timestamp, "to": timestamp,
            "posts": {"type": "array", "items": {"type": "object", "required": ["id", "at", "status", "approval", "targets"], "properties": {
                "id": {"type": "integer"}, "scheduled_at": {"type": ["integer", "null"], "description": "Unix milliseconds, UTC; null for a draft without a time"},
                "at": {"type": "integer", "description": "where it sits on the calendar: scheduled_at, else its creation"},
                "status": {"type": "string", "enum": ["draft", "scheduled", "publishing", "published", "partial", "failed", "unconfirmed"]},
                "approval": {"type": "string", "enum": ["none", "pending", "approved", "rejected"]},
                "label": {"type": "string", "description": "the status a calendar shows, e.g. awaiting approval"},
                "campaign_id": {"type": ["integer", "null"]}, "author": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
                "text": {"type": "string", "description": "the first channel's text"}, "movable": {"type": "boolean", "description": "false once it went out"},
                "targets": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "channel_id": {"type": "integer"}, "channel_name": {"type": "string"}, "network": {"type": "string"},
                    "status": {"type": "string", "enum": ["draft", "scheduled", "publishing", "published", "retrying", "failed", "unconfirmed"]}}}}}}},
            "events": {"type": "array", "items": {"type": "object", "required": ["id", "title", "starts_at", "ends_at", "format"], "properties": {
                "id": {"type": "integer"}, "title": {"type": "string"}, "starts_at": timestamp, "ends_at": timestamp, "timezone": {"type": "string", "description": "IANA"},
                "format": {"type": "string", "enum": ["online", "offline", "hybrid"]}, "group_id": {"type": "integer"}, "group_name": {"type": "string"}}}}}},
        "Schedule": {"type": "object", "required": ["scheduled_at"], "additionalProperties": false, "properties": {
            "scheduled_at": {"type": "string", "format": "date-time", "description": "RFC 3339 with an offset; must be in the future"}}},
        "TargetRef": {"type": "object", "additionalProperties": false, "properties": {"target_id": {"type": "integer"}}},
        "ThreadEdit": {"type": "object", "required": ["title", "body"], "additionalProperties": false, "properties": {
            "title": {"type": "string", "maxLength": 200}, "body": {"type": "string", "description": "Markdown"}}},
        "Reaction": {"type": "object", "required": ["emoji"], "additionalProperties": false, "properties": {"emoji": {"type": "string", "enum": ["👍", "❤️", "🎉", "😂", "🤔"]}}},
        "ReactionCounts": {"type": "object", "properties": {"reactions": {"type": "array", "items": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]}}}},
        "Accept": {"type": "object", "required": ["reply_id"], "additionalProperties": false, "properties": {"reply_id": {"type": "integer"}}},
        "SearchHit": {"type": "object", "properties": {
            "thread_id": {"type": "integer"}, "reply_id": {"type": ["integer", "null"]}, "space_name": {"type": "string"}, "title": {"type": "string"},
            "snippet_html": {"type": "string", "description": "escaped text with matches in <mark>"}, "solved": {"type": "boolean"}, "created_at": timestamp}},
        "SearchHitList": {"type": "array", "items": {"$ref": "#/components/schemas/SearchHit"}},
        "Event": {"type": "object", "properties": {
            "id": {"type": "integer"}, "group_id": {"type": "integer"}, "group_slug": {"type": "string"}, "group_name": {"type": "string"},
            "series_id": {"type": ["integer", "null"]}, "recurrence_id": {"type": ["integer", "null"]}, "uid": {"type": "string"},
            "title": {"type": "string"}, "description": {"type": "string", "description": "Markdown"}, "timezone": {"type": "string", "description": "IANA"},
            "starts_at": {"type": "integer", "description": "Unix milliseconds, UTC"}, "ends_at": {"type": "integer"},
            "format": {"type": "string", "enum": ["online", "offline", "hybrid"]}, "join_url": {"type": ["string", "null"], "description": "only for those going"},
            "venue": {"type": "string"}, "address": {"type": "string"}, "capacity": {"type": ["integer", "null"]}, "rsvp_deadline": {"type": ["integer", "null"]},
            "sequence": {"type": "integer"}, "cancelled_at": {"type": ["integer", "null"]},
            "n_going": {"type": "integer"}, "n_waitlisted": {"type": "integer"}, "n_interested": {"type": "integer"}, "n_checked_in": {"type": "integer"},
            "my_rsvp": {"type": ["object", "null"], "properties": {"state": {"type": "string"}, "position": {"type": ["integer", "null"]}, "code": {"type": ["string", "null"]}}},
            "ics_url": {"type": "string"}}},
        "EventList": {"type": "array", "items": {"$ref": "#/components/schemas/Event"}},
        "NewEvent": {"type": "object", "required": ["group_id", "title", "timezone", "starts_at", "ends_at", "format"], "properties": {
            "group_id": {"type": "integer"}, "title": {"type": "string", "maxLength": 120}, "description": {"type": "string"},
            "timezone": {"type": "string", "description": "IANA, e.g. Europe/Paris"},
            "starts_at": {"type": "string", "description": "wall-clock time in the timezone (2026-12-01T19:00) or RFC 3339"}, "ends_at": {"type": "string"},
            "format": {"type": "string", "enum": ["online", "offline", "hybrid"]}, "join_url": {"type": "string"}, "venue": {"type": "string"}, "address": {"type": "string"},
            "capacity": {"type": "string", "description": "a whole number from 1, or empty for no limit"}, "rsvp_deadline": {"type": "string"},
            "rrule": {"type": "string", "description": "RFC 5545 rule with COUNT or UNTIL, e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=10"},
            "exdates": {"type": "string", "description": "dates to skip, comma-separated"}}},
        "Rsvp": {"type": "object", "required": ["state"], "additionalProperties": false, "properties": {
            "state": {"type": "string", "enum": ["going", "interested", "not_going"]}, "scope": {"type": "string", "enum": ["series"]}}},
        "RsvpAnswer": {"type": "object", "properties": {"event_id": {"type": "integer"},
            "state": {"type": "string", "enum": ["going", "waitlisted", "interested", "not_going"]},
            "position": {"type": "integer", "description": "place on the waitlist, 1 is next"}, "code": {"type": "string", "description": "check-in code, for those going"},
            "occurrences": {"type": "array", "items": {"type": "object"}}}},
        "AttendeeList": {"type": "array", "items": {"type": "object", "properties": {
            "member_id": {"type": "integer"}, "name": {"type": "string"}, "handle": {"type": "string"}, "state": {"type": "string"},
            "position": {"type": ["integer", "null"]}, "code": {"type": "string"}, "responded_at": {"type": "integer"},
            "checked_in_at": {"type": ["integer", "null"]}, "check_in_method": {"type": ["string", "null"], "enum": ["code", "organizer", "walk_in", "online", null]}}}},
        "CheckIn": {"type": "object", "additionalProperties": false, "properties": {"code": {"type": "string"}, "member_id": {"type": "integer"}}},
        "CheckedIn": {"type": "object", "properties": {"member_id": {"type": "integer"}, "name": {"type": "string"}, "newly": {"type": "boolean"}}},
        "Job": job,
        "JobList": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}},
    })
}

fn query_parameters(path: &str) -> Vec<Value> {
    let query = |name: &str, description: &str| json!({"name": name, "in": "query", "required": false, "schema": {"type": "string"}, "description": description});
    match path {
        "/api/v1/w/{workspace}/members" => vec![
            query("cursor", "next_cursor of the previous page"),
            query("limit", "1 to 200, default 50"),
        ],
        "/api/v1/w/{workspace}/posts" => vec![
            query("from", "RFC 3339, inclusive"),
            query("to", "RFC 3339, exclusive"),
        ],
        "/api/v1/w/{workspace}/calendar" => vec![
            query("from", "RFC 3339, inclusive (required)"),
            query(
                "to",
                "RFC 3339, exclusive (required; at most 400 days after from)",
            ),
            query("channel", "a channel id: posts with a target on it"),
            query("campaign", "a campaign id"),
            query(
                "status",
                "draft, scheduled, publishing, published, partial, failed, unconfirmed or awaiting_approval",
            ),
            query("author", "the author's member id"),
        ],
        "/api/v1/w/{workspace}/jobs" => vec![query(
            "state",
            "dead (default), retrying, queued, running or succeeded",
        )],
        "/api/v1/w/{workspace}/search" => vec![
            query("q", "words, all required"),
            query("group", "a group id"),
            query("solved", "true or false"),
            query("tag", "a tag"),
            query("author", "an author's @handle"),
            query("from", "YYYY-MM-DD: threads started on or after"),
            query("to", "YYYY-MM-DD: threads started on or before"),
        ],
        _ => Vec::new(),
    }
}

/// Builds the document from the route table.
pub fn build() -> Value {
    let mut paths = Map::new();
    for spec in specs().into_iter().filter(|spec| spec.is_api()) {
        let mut parameters: Vec<Value> = spec
            .path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| {
                let schema = if name == "workspace" {
                    json!({"type": "string"})
                } else {
                    json!({"type": "integer"})
                };
                json!({"name": name, "in": "path", "required": true, "schema": schema})
            })
            .collect();
        parameters.extend(query_parameters(spec.path));
        let success = match spec.response_schema {
            Some(schema) => {
                json!({"description": "OK", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
            }
            None if spec.path.ends_with("openapi.json") => {
                json!({"description": "This document", "content": {"application/json": {}}})
            }
            None => json!({"description": "Done, no body"}),
        };
        let success_status = match (spec.method.as_str(), spec.response_schema) {
            ("POST", Some(_)) => "201",
            ("POST", None) => "202",
            ("DELETE", _) => "204",
            _ => "200",
        };
        let mut operation = json!({
            "tags": [spec.tag],
            "summary": spec.summary,
            "operationId": format!("{}_{}", spec.method.as_str().to_lowercase(), spec.path.trim_start_matches("/api/v1/").replace(['/', '{', '}', '.', '-'], "_")),
            "x-agora-access": spec.access.as_str(),
            "parameters": parameters,
            "responses": {
                success_status: success,
                "default": {"description": "A problem", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}},
            },
        });
        if spec.access == agora_core::accounts::Access::Public {
            operation["security"] = json!([]);
        }
        if let Some(schema) = spec.request_schema {
            operation["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}});
        }
        let entry = paths
            .entry(spec.path.to_owned())
            .or_insert_with(|| json!({}));
        entry[spec.method.as_str().to_lowercase()] = operation;
    }
    let tags: Vec<Value> = [
        "accounts",
        "community",
        "members",
        "publishing",
        "calendar",
        "analytics",
        "jobs",
        "operations",
    ]
    .iter()
    .map(|tag| json!({"name": tag}))
    .collect();
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Agora API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Workspace-scoped JSON API. Authenticate with `Authorization: Bearer <personal access token>`. Errors are RFC 9457 problem documents."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "tags": tags,
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "a personal access token (agp_…)"}},
            "schemas": schemas(),
        },
    })
}

pub async fn document() -> Json<Value> {
    Json(build())
}
