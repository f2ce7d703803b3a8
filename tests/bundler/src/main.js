// The package README's Vite example (src/main.js), showing what it got on the page; it
// asks for `prompt: 'login'` where the README asks for 'select_account', which the local
// provider does not offer. JSDoc types where `tsc --strict` (checkJs) asks for them.
import { auth } from './auth.js';

/** @param {string} id */
const element = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
/** @param {string} id @param {string} text */
const show = (id, text) => { element(id).textContent = text; };

try {
  const account = (await auth.handleRedirect()) ?? auth.account();
  if (!account) {
    auth.login({ prompt: 'login' });
  } else {
    show('user', account.username);
    const { roles } = await auth.exchangeObo();
    for (const role of roles) {
      const item = document.createElement('li');
      item.textContent = role;
      element('roles').append(item);
    }
    document.body.dataset.ready = '';
  }
} catch (thrown) {
  const error = /** @type {import('entra-edge-auth').EntraAuthError} */ (thrown);
  const box = element('error');
  box.hidden = false;
  box.dataset.code = error.code ?? '';
  box.textContent = `${error.code}: ${error.message}`;
  document.body.dataset.ready = '';
}
