import { ApiError, accessToken, errorText, get, post, refreshToken, setTokens } from './api';
import { loadActivity } from './admin-activity';
import { wirePanels } from './admin-panels';
import { $, displayName, toast } from './dom';
import type { AuthResult, User } from './types';

/**
 * The admin dashboard at /admin: the chat's stored session (or a sign-in here), then the panels.
 * Whether the caller is an admin is the API's to say: its 403 shows the refusal.
 */

type View = 'auth' | 'refusal' | 'dashboard';

function show(view: View, me?: User): void {
  $('#auth').hidden = view !== 'auth';
  $('#bar').hidden = view === 'auth';
  $('#refusal').hidden = view !== 'refusal';
  $('#dashboard').hidden = view !== 'dashboard';
  $('#me-name').textContent = me ? displayName(me) : '';
}

async function open(me: User): Promise<void> {
  const range = $<HTMLSelectElement>('#range');
  try {
    await loadActivity(Number(range.value));
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) return show('refusal', me);
    throw err;
  }
  show('dashboard', me);
  const reload = () => loadActivity(Number(range.value));
  range.onchange = () => void reload().catch(fail);
  await wirePanels(me, reload).reloadAll();
}

const fail = (err: unknown) => toast(errorText(err), 'error');

function signOut(): void {
  const token = refreshToken();
  if (accessToken())
    post('/auth/logout', token ? { refreshToken: token } : {}).catch(() => undefined);
  setTokens(null);
  // The panels hold listeners bound to the last admin: start from a clean page.
  location.reload();
}

function wireAuth(): void {
  const form = $<HTMLFormElement>('#auth-form');
  const field = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const login = field('username').trim();
    try {
      const result = await post<AuthResult>('/auth/login', {
        [login.includes('@') ? 'email' : 'username']: login,
        password: field('password'),
      });
      setTokens(result);
      form.reset();
      $('#auth-error').textContent = '';
      await open(result.user);
    } catch (err) {
      $('#auth-error').textContent = errorText(err);
    }
  });
}

async function boot(): Promise<void> {
  wireAuth();
  $('#logout').addEventListener('click', signOut);
  if (accessToken()) {
    let me: User | undefined;
    try {
      me = await get<User>('/auth/me');
    } catch {
      setTokens(null);
    }
    if (me) return open(me).catch(fail);
  }
  show('auth');
}

void boot();
