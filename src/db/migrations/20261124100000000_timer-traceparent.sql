-- Up Migration

-- The trace context of the span that set a timer (W3C traceparent), carried into the
-- `TimerElapsed` event it fires, so a grouped owner alert joins the trace of the text that
-- opened its window (issue 7). Null when tracing is off.
ALTER TABLE timers ADD COLUMN traceparent text;

-- Down Migration
ALTER TABLE timers DROP COLUMN traceparent;
