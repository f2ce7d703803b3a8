// The local provider's pages: sign-in (with the demo users listed), sign-out confirmation,
// signed out, and errors. Plain HTML; every interpolated value is escaped.

const esc = (value) => String(value ?? '').replace(/[&<>"']/g, (c) => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
}[c]));

const STYLE = `
  *{box-sizing:border-box}
  body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#eef1f5;color:#1b1f24}
  .card{max-width:440px;margin:48px auto;background:#fff;border-radius:8px;box-shadow:0 2px 12px rgba(0,0,0,.12);padding:32px 36px}
  .brand{font-weight:600;color:#5e6b78;font-size:13px;letter-spacing:.04em;text-transform:uppercase}
  h1{font-size:22px;font-weight:600;margin:6px 0 18px}
  label{display:block;font-size:13px;color:#444;margin:12px 0 4px}
  input{width:100%;padding:9px 10px;border:1px solid #b9c0c8;border-radius:4px;font:inherit}
  .row{display:flex;gap:10px;margin-top:20px}
  button{flex:1;padding:10px;border:0;border-radius:4px;font:inherit;font-weight:600;cursor:pointer}
  .primary{background:#0f6cbd;color:#fff}.secondary{background:#e4e7eb;color:#1b1f24}
  .err{background:#fde7e9;color:#a4262c;padding:8px 10px;border-radius:4px;margin-bottom:8px}
  table{width:100%;border-collapse:collapse;margin-top:22px;font-size:13px}
  td{padding:4px 6px;border-top:1px solid #eef0f2}
  .muted{color:#5e6b78;font-size:13px}
  code{font-size:12px}
`;

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

export function loginPage({ action, users, password, client, error, hint }) {
  const rows = users.map((u) => `<tr><td><code>${esc(u.username)}</code></td><td>${u.groups.length ? esc(u.groups.join(', ')) : '<span class="muted">no group</span>'}</td></tr>`).join('');
  return page('Sign in – local Entra', `
<div class="card">
  <div class="brand">Local Entra ID (test provider)</div>
  <h1>Sign in</h1>
  <p class="muted">to <strong>${esc(client?.clientName ?? client?.clientId ?? 'the app')}</strong></p>
  ${error ? `<div class="err" role="alert">${esc(error)}</div>` : ''}
  <form method="post" action="${esc(action)}" id="login">
    <label for="username">User name</label>
    <input id="username" name="username" autocomplete="username" autofocus value="${esc(hint)}">
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password">
  </form>
  <form method="post" action="${esc(action)}/cancel" id="cancel"></form>
  <div class="row">
    <button class="secondary" type="submit" form="cancel" id="cancel-button">Cancel</button>
    <button class="primary" type="submit" form="login" id="sign-in">Sign in</button>
  </div>
  <table><tr><td colspan="2" class="muted">Demo users (password <code>${esc(password)}</code>)</td></tr>${rows}</table>
</div>`);
}

export function logoutPage(form) {
  // `form` is oidc-provider's own hidden form (id "op.logoutForm", with its xsrf token).
  return page('Sign out – local Entra', `
<div class="card">
  <div class="brand">Local Entra ID (test provider)</div>
  <h1>Sign out?</h1>
  <p class="muted">You are signing out of the local Entra session.</p>
  ${form}
  <div class="row">
    <button class="secondary" type="submit" form="op.logoutForm">Stay signed in</button>
    <button class="primary" type="submit" form="op.logoutForm" value="yes" name="logout" id="confirm-logout">Sign out</button>
  </div>
</div>`);
}

export function signedOutPage() {
  return page('Signed out – local Entra', `
<div class="card"><div class="brand">Local Entra ID (test provider)</div><h1>You signed out</h1>
<p class="muted">You may close this window.</p></div>`);
}

export function errorPage(out) {
  return page('Error – local Entra', `
<div class="card"><div class="brand">Local Entra ID (test provider)</div><h1>Sign-in error</h1>
<div class="err" role="alert"><strong>${esc(out.error)}</strong>: ${esc(out.error_description)}</div></div>`);
}
