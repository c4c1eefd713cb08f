// Sign in, create an account, sign out.

import { api, setCsrf, showFieldErrors } from './api.js';
import { h, mount, field, errorLine, segmented, toggle } from './dom.js';
import { setMe, browserTimeZone, NEXT_KEY } from './state.js';
import { clearAll, saveToken } from './outbox.js';
import { disablePush, forgetPush } from './push.js';
import { replay } from './sync.js';


function afterSignIn(user) {
  const next = sessionStorage.getItem(NEXT_KEY);
  sessionStorage.removeItem(NEXT_KEY);
  if (user.role === 'therapist') {
    location.hash = next && next.startsWith('#clinic') ? next : '#clinic';
    return;
  }
  location.hash = '#checkin';
  replay();
}

function accountForm(kind) {
  const create = kind === 'register';
  const error = errorLine();
  const therapist = create ? toggle('I am a physical therapist (my patients share their data with me)', 'therapist') : null;
  // A runner is asked as a runner; ticking "I am a physical therapist" turns it around.
  const RUNNER_NAME = ['Your name (optional)', 'If you share your data with a therapist, they see this name instead of your email.'];
  const THERAPIST_NAME = ['Your name, as patients see it', 'Your patients see it when they share their data with you.'];
  const name = create ? field(RUNNER_NAME[0], h('input', { name: 'display_name', autocomplete: 'name', maxlength: 100 }), RUNNER_NAME[1]) : null;
  if (create) {
    therapist.querySelector('input').addEventListener('change', (ev) => {
      const [label, hint] = ev.target.checked ? THERAPIST_NAME : RUNNER_NAME;
      name.querySelector('label').textContent = label;
      name.querySelector('.hint').textContent = hint;
    });
  }
  const form = h('form', { class: 'auth', novalidate: true, 'aria-label': create ? 'Create an account' : 'Sign in' },
    field('Email', h('input', { type: 'email', name: 'email', autocomplete: 'email', required: true })),
    field('Password', h('input', {
      type: 'password', name: 'password', required: true,
      autocomplete: create ? 'new-password' : 'current-password', minlength: create ? '10' : null,
    }), create ? 'At least 10 characters.' : null),
    create ? segmented('Units', 'units', [['km', 'Kilometres'], ['mi', 'Miles']], 'km') : null,
    therapist, name,
    error,
    h('button', { type: 'submit', class: 'primary' }, create ? 'Create account' : 'Sign in'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    const email = form.elements.email.value.trim();
    const password = form.elements.password.value;
    if (!email || !password) { error.textContent = 'Enter your email and password.'; return; }
    try {
      const extra = {};
      if (create) {
        if (form.elements.therapist.checked) extra.role = 'therapist';
        if (form.elements.display_name.value.trim()) extra.display_name = form.elements.display_name.value.trim();
      }
      let data = create
        ? await api('POST', '/auth/register', { email, password, timezone: browserTimeZone(), ...extra })
        : await api('POST', '/auth/login', { email, password });
      if (create) {
        const chosen = form.querySelector('input[name="units"]:checked')?.value || 'km';
        if (chosen !== (data.user?.units || 'km')) {
          const patched = await api('PATCH', '/me', { units: chosen });
          data = { user: patched.user || patched };
        }
      }
      const user = data.user || data;
      setMe(user);
      afterSignIn(user);
    } catch (err) {
      error.textContent = showFieldErrors(form, err);
    }
  });
  return form;
}

/** The #signin screen: sign in, or create an account. */
export function showSignin() {
  const signin = accountForm('login');
  const register = accountForm('register');
  mount('Welcome to StrideGuard',
    h('p', {}, 'Check in on your knee each day and get clear advice on when to run, rest or call your therapist.'),
    h('section', { class: 'card' }, h('h2', {}, 'Sign in'), signin),
    h('section', { class: 'card' }, h('h2', {}, 'New here? Create an account'), register));
}

/** Sign out: end the session, drop the outbox, the cached profile and this phone's push. */
export async function signOut({ alreadyGone = false } = {}) {
  if (alreadyGone) {
    await forgetPush().catch(() => {});
  } else {
    await disablePush().catch(() => {});
    await api('POST', '/auth/logout').catch(() => {});
  }
  await clearAll().catch(() => {});
  localStorage.clear();
  setMe(null);
  setCsrf(null);
  await saveToken(null).catch(() => {});
  location.hash = '#signin';
}
