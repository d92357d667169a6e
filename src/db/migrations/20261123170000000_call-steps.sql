-- Up Migration

-- The first answer given at each step of a call wins (`answer`: the TwiML for the inbound
-- call; `emergency-menu`: the caller's key at the emergency menu; `screen:<leg>`: whether
-- the owner or on-call phone pressed 1 at the screening whisper). A Twilio retry of the same
-- webhook gets the same answer, so what the caller heard and what was recorded agree. This
-- generalises call_answers, whose rows move here as step `answer`.
CREATE TABLE call_steps (
  call_sid     text NOT NULL,
  step         text NOT NULL,
  tenant_id    text NOT NULL,
  value        text NOT NULL,
  answered_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (call_sid, step)
);
INSERT INTO call_steps (call_sid, step, tenant_id, value, answered_at)
  SELECT call_sid, 'answer', tenant_id, action, answered_at FROM call_answers;
DROP TABLE call_answers;

-- Down Migration
CREATE TABLE call_answers (
  call_sid     text PRIMARY KEY,
  tenant_id    text NOT NULL,
  action       text NOT NULL,
  answered_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO call_answers (call_sid, tenant_id, action, answered_at)
  SELECT call_sid, tenant_id, value, answered_at FROM call_steps WHERE step = 'answer';
DROP TABLE call_steps;
