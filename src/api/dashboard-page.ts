import type { FastifyInstance } from 'fastify';
import { cspHash, inlineText, pageSecurity } from './security-headers.ts';

/**
 * `GET /dashboard`: the owner's dashboard, one self-contained page (HTML, CSS and a little
 * script, no framework, no build step). It reads only the read API with the API key the user
 * types in, kept in `sessionStorage` (never in the URL), and follows `/api/v1/stream` (read
 * with `fetch`, which unlike `EventSource` can send the key) to refresh without reloading.
 * Phone-sized screens first; states are words and symbols, not colours; times are shown in
 * the tenant's zone; phone numbers as people write them.
 *
 * Headers (`security-headers.ts`): a CSP that runs only this page's own inline script and
 * style (by their SHA-256, no `'unsafe-inline'`), fetches only this origin, and lets no site
 * frame the page (`frame-ancestors 'none'`, `X-Frame-Options: DENY`); `nosniff`,
 * `Referrer-Policy: no-referrer`.
 */
export async function dashboardPage(app: FastifyInstance): Promise<void> {
  app.get(
    '/dashboard',
    { schema: { hide: true }, helmet: DASHBOARD_SECURITY },
    async (_request, reply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(PAGE),
  );
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Leadline</title>
<style>
  :root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; line-height: 1.4; color: #111; background: #fafafa; }
  body { margin: 0; }
  header { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; justify-content: space-between; padding: .75rem 1rem; background: #fff; border-bottom: 1px solid #ccc; }
  header h1 { font-size: 1.1rem; margin: 0; }
  main { padding: 1rem; display: grid; gap: 1rem; grid-template-columns: 1fr; max-width: 72rem; margin: 0 auto; }
  @media (min-width: 56rem) { main { grid-template-columns: 1fr 1fr; } #glance, #funnel-box { grid-column: span 2; } }
  section { background: #fff; border: 1px solid #ccc; border-radius: .5rem; padding: .75rem 1rem; }
  h2 { font-size: 1rem; margin: 0 0 .5rem; }
  .counters { display: grid; grid-template-columns: repeat(auto-fill, minmax(8.5rem, 1fr)); gap: .5rem; }
  .counter { border: 1px solid #bbb; border-radius: .4rem; padding: .5rem; }
  .counter b { display: block; font-size: 1.5rem; }
  ol.funnel { display: flex; flex-wrap: wrap; gap: .5rem; list-style: none; padding: 0; margin: 0; }
  ol.funnel li { border: 1px solid #bbb; border-radius: .4rem; padding: .4rem .6rem; }
  ol.funnel li + li::before { content: "→ "; }
  table { width: 100%; border-collapse: collapse; }
  th, td { text-align: left; padding: .35rem .25rem; border-bottom: 1px solid #e3e3e3; vertical-align: top; }
  button, input, select { font: inherit; padding: .4rem .6rem; }
  button.link { background: none; border: none; padding: 0; text-decoration: underline; cursor: pointer; color: inherit; white-space: nowrap; }
  .emergency { font-weight: 700; }
  .muted { color: #555; }
  #login { max-width: 26rem; margin: 3rem auto; }
  #login input { width: 100%; box-sizing: border-box; margin: .5rem 0; }
  [hidden] { display: none !important; }
  ul.timeline { list-style: none; padding: 0; margin: 0; }
  ul.timeline li { border-left: 3px solid #999; padding: .25rem .5rem; margin-bottom: .4rem; }
</style>
</head>
<body>
<section id="login">
  <h1>Leadline</h1>
  <p>Sign in with your API key. It stays in this browser tab only.</p>
  <form id="login-form">
    <label for="key">API key</label>
    <input id="key" name="key" type="password" autocomplete="off" required>
    <button type="submit">Sign in</button>
    <p id="login-error" role="alert"></p>
  </form>
</section>
<div id="app" hidden>
  <header>
    <h1 id="business">Leadline</h1>
    <div>
      <label id="tenant-label" for="tenant" hidden>Business</label>
      <select id="tenant" hidden></select>
      <span id="live" class="muted" aria-live="polite">○ connecting</span>
      <button id="logout" type="button">Sign out</button>
    </div>
  </header>
  <main>
    <section id="glance"><h2>Today at a glance <span id="today" class="muted"></span></h2><div class="counters" id="counters"></div></section>
    <section id="funnel-box"><h2>From missed call to booked job</h2><ol class="funnel" id="funnel"></ol></section>
    <section><h2>Leads <label class="muted"><input type="checkbox" id="outside-area"> outside the service area only</label></h2><table><thead><tr><th>Lead</th><th>Status</th><th>Last contact</th></tr></thead><tbody id="leads"></tbody></table></section>
    <section id="lead-box"><h2 id="lead-title">Conversation</h2><p class="muted" id="lead-hint">Choose a lead to see its calls and texts.</p>
      <div id="lead-actions" hidden><button type="button" data-status="contacted">Mark contacted</button> <button type="button" data-status="booked">Mark booked</button> <button type="button" data-status="lost">Mark lost</button></div>
      <form id="reply-form" hidden><label for="reply">Reply from the business number (automatic texts to this lead stop while you talk)</label><br><textarea id="reply" maxlength="1600" rows="2" cols="50" required></textarea> <button type="submit">Send</button> <span id="reply-status" class="muted" aria-live="polite"></span></form>
      <ul class="timeline" id="timeline"></ul></section>
    <section><h2>Outgoing texts queue</h2><table><thead><tr><th>To</th><th>What</th><th>State</th></tr></thead><tbody id="queue"></tbody></table></section>
  </main>
</div>
<script>
(() => {
  const $ = (id) => document.getElementById(id);
  const state = { key: sessionStorage.getItem('leadline.key'), tenant: sessionStorage.getItem('leadline.tenant'), timezone: 'UTC', lead: null, stream: null };
  const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
  const phone = (p) => { const m = /^\\+1(\\d{3})(\\d{3})(\\d{4})$/.exec(p || ''); return m ? '(' + m[1] + ') ' + m[2] + '-' + m[3] : p; };
  const time = (iso) => new Intl.DateTimeFormat('en-US', { timeZone: state.timezone, month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }).format(new Date(iso));
  async function api(path, init = {}) {
    const sep = path.includes('?') ? '&' : '?';
    const url = '/api/v1' + path + (state.tenant ? sep + 'tenant=' + encodeURIComponent(state.tenant) : '');
    const res = await fetch(url, { ...init, headers: { authorization: 'Bearer ' + state.key, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers } });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) { const err = new Error(body.error?.message || res.statusText); err.status = res.status; throw err; }
    return body;
  }
  function counter(name, label, value) { return '<div class="counter" data-counter="' + name + '"><b>' + esc(value) + '</b>' + esc(label) + '</div>'; }
  async function renderSummary() {
    const s = await api('/summary');
    state.timezone = s.timezone;
    $('business').textContent = s.tenantName;
    $('today').textContent = '(' + s.period.localFrom + ', ' + s.timezone + ')';
    $('counters').innerHTML = [
      counter('emergencies', '⚠ emergencies', s.emergencies),
      counter('missed', 'missed calls', s.missed),
      counter('calls', 'calls', s.calls),
      counter('answered', 'answered', s.answered),
      s.texts.dryRun > 0 && s.texts.sent === 0
        ? counter('dry-run', 'texts ready (dry run: none sent)', s.texts.dryRun)
        : counter('sent', 'texts sent', s.texts.sent),
      counter('delivered', 'delivered', s.texts.delivered),
      counter('failed', 'failed', s.texts.failed),
      counter('replies', 'replies', s.replies),
      counter('opted-out', 'opted out', s.optedOut),
      counter('response', 'median reply time', s.responseSeconds.median === null ? '–' : s.responseSeconds.median + ' s'),
    ].join('');
    const f = await api('/funnel');
    const texted = f.textedDryRun > 0 ? ['texted', f.texted + ' (+' + f.textedDryRun + ' in dry run)'] : ['texted', f.texted];
    $('funnel').innerHTML = [['missed call', f.missedCall], texted, ['replied', f.replied], ['booked', f.booked]]
      .map(([l, n]) => '<li data-funnel="' + l + '">' + esc(l) + ': <b>' + n + '</b></li>').join('');
  }
  async function renderLeads() {
    const { leads } = await api('/leads?limit=50' + ($('outside-area').checked ? '&outsideArea=true' : ''));
    leads.sort((a, b) => (b.intent === 'EMERGENCY') - (a.intent === 'EMERGENCY') || b.score - a.score);
    $('leads').innerHTML = leads.map((l) => '<tr data-lead="' + esc(l.phone) + '"' + (l.intent === 'EMERGENCY' ? ' class="emergency"' : '') + '>' +
      '<td><button class="link" type="button">' + esc(phone(l.phone)) + '</button>' + (l.intent === 'EMERGENCY' ? ' ⚠ EMERGENCY' : '') + (l.optedOut ? ' (opted out)' : '') + (l.summary ? '<br><span class="muted" data-summary>' + esc(l.summary) + '</span>' : '') + '</td>' +
      '<td>' + esc(l.status) + ' · score ' + l.score + '</td><td>' + esc(time(l.lastContactAt)) + '</td></tr>').join('') || '<tr><td colspan="3" class="muted">No leads yet.</td></tr>';
  }
  async function renderLead() {
    if (!state.lead) return;
    $('lead-title').textContent = 'Conversation with ' + phone(state.lead);
    $('lead-hint').hidden = true;
    $('lead-actions').hidden = false;
    $('reply-form').hidden = false;
    const { timeline } = await api('/leads/' + encodeURIComponent(state.lead));
    $('timeline').innerHTML = timeline.map((t) => '<li data-kind="' + esc(t.kind) + '"><span class="muted">' + esc(time(t.at)) + '</span> · <b>' + esc(t.kind) + '</b> ' + esc(t.summary) +
      (t.status ? ' [' + esc(t.status) + ']' : '') + (t.body ? '<br>“' + esc(t.body) + '”' : '') +
      (t.recordingSid ? '<br><button type="button" data-recording="' + esc(t.recordingSid) + '">▶ Play voicemail</button>' : '') + '</li>').join('');
  }
  async function renderQueue() {
    const { queue } = await api('/queue');
    $('queue').innerHTML = queue.map((q) => '<tr data-queue="' + esc(q.state) + '"><td>' + esc(phone(q.to)) + '</td><td>' + esc(q.purpose) + '</td><td>' + esc(q.state) +
      (q.state === 'deferred' ? ' until ' + esc(time(q.nextAttemptAt)) : '') + (q.lastError ? ' – ' + esc(q.lastError) : '') + '</td></tr>').join('') || '<tr><td colspan="3" class="muted">Nothing waiting.</td></tr>';
  }
  async function refresh() {
    await Promise.all([renderSummary(), renderLeads(), renderQueue(), renderLead()]);
  }
  async function follow() {
    state.stream?.abort();
    const controller = new AbortController();
    state.stream = controller;
    try {
      const sep = state.tenant ? '?tenant=' + encodeURIComponent(state.tenant) : '';
      const res = await fetch('/api/v1/stream' + sep, { headers: { authorization: 'Bearer ' + state.key }, signal: controller.signal });
      if (!res.ok) throw new Error('stream ' + res.status);
      $('live').textContent = '● live';
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let at;
        while ((at = buffer.indexOf('\\n\\n')) >= 0) {
          const message = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          if (message.startsWith('event: change')) refresh().catch(showError);
        }
      }
    } catch (error) {
      if (controller.signal.aborted) return;
    }
    $('live').textContent = '○ reconnecting';
    setTimeout(() => { if (state.stream === controller) follow(); }, 2000);
  }
  function showError(error) {
    if (error.status === 401) return logout('That key is not valid (or was revoked).');
    $('live').textContent = '⚠ ' + error.message;
  }
  async function start() {
    $('login').hidden = true;
    $('app').hidden = false;
    try {
      const tenants = await api('/tenants').then((r) => r.tenants, (e) => { if (e.status === 403) return null; throw e; });
      if (tenants) {
        $('tenant').hidden = false;
        $('tenant-label').hidden = false;
        $('tenant').innerHTML = tenants.map((t) => '<option value="' + esc(t.tenantId) + '">' + esc(t.name) + '</option>').join('');
        if (!tenants.some((t) => t.tenantId === state.tenant)) state.tenant = tenants[0]?.tenantId ?? null;
        $('tenant').value = state.tenant ?? '';
        $('business').textContent = tenants.find((t) => t.tenantId === state.tenant)?.name ?? 'Leadline';
      } else {
        state.tenant = null;
      }
      await refresh();
      follow();
    } catch (error) { showError(error); }
  }
  function logout(message) {
    state.stream?.abort();
    sessionStorage.removeItem('leadline.key');
    state.key = null;
    $('app').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message || '';
  }
  $('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    state.key = $('key').value.trim();
    sessionStorage.setItem('leadline.key', state.key);
    $('key').value = '';
    start();
  });
  $('logout').addEventListener('click', () => logout());
  $('tenant').addEventListener('change', () => {
    state.tenant = $('tenant').value;
    sessionStorage.setItem('leadline.tenant', state.tenant);
    state.lead = null;
    $('timeline').innerHTML = '';
    start();
  });
  $('outside-area').addEventListener('change', () => renderLeads().catch(showError));
  $('leads').addEventListener('click', (event) => {
    const row = event.target.closest('tr[data-lead]');
    if (!row) return;
    state.lead = row.dataset.lead;
    state.replyKey = null;
    $('reply').value = '';
    $('reply-status').textContent = '';
    renderLead().catch(showError);
  });
  // Voicemail audio comes through the API with the key (Twilio's credentials stay on the
  // server), then plays from a blob: URL.
  $('timeline').addEventListener('click', (event) => {
    const sid = event.target.dataset?.recording;
    if (!sid || !state.lead) return;
    const sep = state.tenant ? '?tenant=' + encodeURIComponent(state.tenant) : '';
    fetch('/api/v1/leads/' + encodeURIComponent(state.lead) + '/voicemails/' + encodeURIComponent(sid) + sep, { headers: { authorization: 'Bearer ' + state.key } })
      .then((res) => { if (!res.ok) throw new Error('voicemail unavailable (' + res.status + ')'); return res.blob(); })
      .then((blob) => {
        const audio = document.createElement('audio');
        audio.controls = true;
        audio.src = URL.createObjectURL(blob);
        event.target.replaceWith(audio);
        audio.play().catch(() => {});
      })
      .catch(showError);
  });
  $('lead-actions').addEventListener('click', (event) => {
    const status = event.target.dataset?.status;
    if (!status || !state.lead) return;
    api('/leads/' + encodeURIComponent(state.lead) + '/status', { method: 'POST', body: JSON.stringify({ status }) }).catch(showError);
  });
  // One idempotency key per draft: a double click or a retried request sends the text once.
  const newKey = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  $('reply').addEventListener('input', () => { state.replyKey ??= newKey(); });
  $('reply-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const body = $('reply').value.trim();
    if (!body || !state.lead) return;
    state.replyKey ??= newKey();
    $('reply-status').textContent = 'sending…';
    api('/leads/' + encodeURIComponent(state.lead) + '/messages', { method: 'POST', body: JSON.stringify({ body }), headers: { 'idempotency-key': state.replyKey } })
      .then(() => { $('reply').value = ''; state.replyKey = null; $('reply-status').textContent = 'queued: its delivery shows below'; return renderLead(); })
      .catch((error) => { $('reply-status').textContent = '⚠ ' + error.message; });
  });
  if (state.key) start();
})();
</script>
</body>
</html>
`;

const DASHBOARD_SECURITY = pageSecurity({
  'script-src': [cspHash(inlineText(PAGE, 'script'))],
  'style-src': [cspHash(inlineText(PAGE, 'style'))],
  'connect-src': ["'self'"],
  'media-src': ['blob:'],
});
