// The package README's Vite example (src/main.js), showing what it got on the page; it
// asks for `prompt: 'login'` where the README asks for 'select_account', which the local
// provider does not offer.
import { auth } from './auth.js';

const show = (id, text) => { document.getElementById(id).textContent = text; };

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
      document.getElementById('roles').append(item);
    }
    document.body.dataset.ready = '';
  }
} catch (error) {
  const box = document.getElementById('error');
  box.hidden = false;
  box.dataset.code = error.code ?? '';
  box.textContent = `${error.code}: ${error.message}`;
  document.body.dataset.ready = '';
}
