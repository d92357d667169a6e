-- Up Migration
-- Qualification requests (issue 16): the lead-conversation processor inserts one row per lead
-- text the assistant should read, in the transaction of its checkpoint (never in replay).
-- The assessor (qualification/assessor.ts) claims rows with FOR UPDATE SKIP LOCKED and a
-- lease, asks the engine (the deterministic rules, or a language model with them as
-- fallback), appends `QualificationAssessed` (and `LeadQualified` when it settles the lead)
-- to the lead's stream, keyed by the request, then marks the row done (or failed, after
-- 3 claims whose assessor died or hung).
CREATE TABLE qualification_requests (
  request_id       text PRIMARY KEY,
  tenant_id        text NOT NULL,
  stream_id        text NOT NULL,
  -- QualificationInput, the questions asked and the budget: all the engine reads.
  input            jsonb NOT NULL,
  cause_event_id   uuid NOT NULL,
  traceparent      text,
  status           text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'assessing', 'done', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  -- Claims taken over from an assessor whose lease ran out (it died or hung mid-request).
  expired_claims   integer NOT NULL DEFAULT 0,
  -- The engine's answer, stored before it is appended: a request tried again appends this
  -- same answer, never a second reading that could contradict the first.
  answer           jsonb,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  lease_until      timestamptz,
  -- Why the request failed for good (MAX_EXPIRED_CLAIMS claims that never finished); the
  -- lead then gets no reply from the assistant; the operator sees it here, in the log and in
  -- `leadline status`.
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX qualification_requests_due ON qualification_requests (next_attempt_at)
  WHERE status IN ('pending', 'assessing');

-- Down Migration
DROP TABLE qualification_requests;
