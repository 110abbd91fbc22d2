import { api, errorText, post, qs } from './api';
import { $, h, timeOf, toast } from './dom';

/** The dashboard's lists: open reports, users and the audit log (SPEC "Admin dashboard"). */

interface AdminUser {
  id: string;
  username: string;
  displayName: string | null;
  email: string | null;
  role: 'user' | 'admin';
  createdAt: string;
  lastSeenAt: string | null;
  deactivatedAt: string | null;
  deactivationReason: string | null;
}

type Ref = { id: string; username: string | null } | null;

interface Report {
  id: string;
  reason: string;
  createdAt: string;
  reporter: Ref;
  message: { id: string; content: string; deleted: boolean; sender: Ref };
  room: { id: string; name: string };
  reports: number;
}

interface AuditEntry {
  id: number;
  at: string;
  actor: Ref;
  action: string;
  target: { type: string; id: string };
  details: Record<string, unknown>;
}

const fail = (err: unknown) => toast(errorText(err), 'error');
const who = (ref: Ref) => ref?.username ?? (ref ? 'deleted user' : 'server');

/** A list fed page by page (`Load more`); a newer reload wins over a slower older one. */
function pager<T>(
  list: HTMLElement,
  more: HTMLButtonElement,
  path: (before?: string) => string,
  render: (item: T) => HTMLElement,
  empty: string,
) {
  let next: string | null = null;
  let generation = 0;
  async function load(reset: boolean): Promise<void> {
    const mine = ++generation;
    const { data, page } = await api<T[]>('GET', path(reset ? undefined : (next ?? undefined)));
    if (mine !== generation) return;
    if (reset) list.replaceChildren();
    list.append(...data.map(render));
    if (!list.children.length) list.append(h('li', { class: 'muted empty', text: empty }));
    next = page?.nextCursor ?? null;
    more.hidden = !next;
  }
  more.addEventListener('click', () => void load(false).catch(fail));
  return { reload: () => load(true) };
}

/** Wires the lists; `changed` runs after an action that changes the activity figures. */
export function wirePanels(
  me: { id: string },
  changed: () => Promise<void>,
): { reloadAll(): Promise<void> } {
  const audit = pager<AuditEntry>(
    $('#audit-list'),
    $('#audit-more'),
    (before) => `/admin/audit?${qs({ limit: 20, before })}`,
    renderAudit,
    'Nothing yet.',
  );
  const search = $<HTMLInputElement>('#user-search');
  const users = pager<AdminUser>(
    $('#user-list'),
    $('#users-more'),
    (before) => `/admin/users?${qs({ q: search.value.trim() || undefined, limit: 20, before })}`,
    (u) => renderUser(u),
    'No users match.',
  );
  const reports = pager<Report>(
    $('#report-list'),
    h('button'),
    () => `/admin/reports?${qs({ status: 'open', limit: 50 })}`,
    renderReport,
    'No open reports.',
  );
  let typing: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => void users.reload().catch(fail), 250);
  });

  function renderUser(u: AdminUser): HTMLElement {
    const li = h(
      'li',
      { class: 'item user', 'data-user': u.username },
      h(
        'div',
        { class: 'line' },
        h('b', { text: u.username }),
        u.displayName && h('span', { class: 'muted', text: u.displayName }),
        u.role === 'admin' && h('span', { class: 'tag', text: 'admin' }),
        u.deactivatedAt && h('span', { class: 'tag off', text: 'deactivated' }),
      ),
      h('div', {
        class: 'note',
        text: [
          u.email,
          `joined ${timeOf(u.createdAt)}`,
          u.lastSeenAt ? `seen ${timeOf(u.lastSeenAt)}` : 'never signed in',
        ]
          .filter(Boolean)
          .join(' · '),
      }),
      u.deactivatedAt &&
        h('div', { class: 'note', text: `Reason: ${u.deactivationReason ?? 'none given'}` }),
    );
    const actions = h('div', { class: 'controls' });
    const act = async (path: string, body?: unknown) => {
      try {
        li.replaceWith(renderUser(await post<AdminUser>(path, body)));
        void audit.reload().catch(fail);
      } catch (err) {
        fail(err);
      }
    };
    if (u.deactivatedAt)
      actions.append(
        h('button', {
          text: 'Reactivate',
          onclick: () => void act(`/admin/users/${u.id}/reactivate`),
        }),
      );
    else if (u.id !== me.id)
      actions.append(
        h('button', {
          class: 'danger',
          text: 'Deactivate',
          onclick: () => {
            const reason = h('input', { placeholder: 'Reason (optional)', maxlength: 500 });
            const form = h(
              'form',
              { class: 'row confirm' },
              reason,
              h('button', { class: 'danger', type: 'submit', text: 'Confirm' }),
              h('button', {
                class: 'link',
                type: 'button',
                text: 'Cancel',
                onclick: () => form.replaceWith(actions),
              }),
            );
            form.addEventListener('submit', (e) => {
              e.preventDefault();
              void act(`/admin/users/${u.id}/deactivate`, {
                reason: reason.value.trim() || undefined,
              });
            });
            actions.replaceWith(form);
            reason.focus();
          },
        }),
      );
    li.append(actions);
    return li;
  }

  function renderReport(r: Report): HTMLElement {
    const li = h(
      'li',
      { class: 'item report', 'data-report': r.id },
      h(
        'div',
        { class: 'line' },
        h('b', { text: `# ${r.room.name}` }),
        h('span', { class: 'muted', text: `from ${who(r.message.sender)}` }),
        r.reports > 1 && h('span', { class: 'tag', text: `${r.reports} reports` }),
      ),
      h('blockquote', {
        class: r.message.deleted ? 'muted' : '',
        text: r.message.deleted ? '(deleted)' : r.message.content,
      }),
      h('div', {
        class: 'note',
        text: `${who(r.reporter)}: “${r.reason}” · ${timeOf(r.createdAt)}`,
      }),
    );
    const resolve = async (action: string) => {
      try {
        await post(`/admin/reports/${r.id}/resolve`, { action });
        li.remove();
        toast(`Report resolved: ${action}`);
        void reports.reload().catch(fail);
        void audit.reload().catch(fail);
        void changed().catch(fail);
        if (action === 'deactivate-sender') void users.reload().catch(fail);
      } catch (err) {
        fail(err);
      }
    };
    li.append(
      h(
        'div',
        { class: 'controls' },
        h('button', { text: 'Dismiss', onclick: () => void resolve('dismiss') }),
        !r.message.deleted &&
          h('button', {
            class: 'danger',
            text: 'Delete message',
            onclick: () => void resolve('delete-message'),
          }),
        r.message.sender &&
          h('button', {
            class: 'danger',
            text: 'Deactivate sender',
            onclick: () => void resolve('deactivate-sender'),
          }),
      ),
    );
    return li;
  }

  return {
    async reloadAll() {
      await Promise.all([users.reload(), reports.reload(), audit.reload()]);
    },
  };
}

/** Ids as their first 8 characters, like the target's: enough to tell them apart on a screen. */
const shortId = (v: string) => (/^[0-9a-f]{8}-[0-9a-f-]{27}$/i.test(v) ? v.slice(0, 8) : v);

function renderAudit(e: AuditEntry): HTMLElement {
  const details = Object.entries(e.details)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? shortId(v) : JSON.stringify(v)}`)
    .join(' · ');
  return h(
    'li',
    { class: 'item audit', 'data-action': e.action },
    h(
      'div',
      { class: 'line' },
      h('time', { class: 'note', datetime: e.at, text: timeOf(e.at) }),
      h('b', { text: who(e.actor) }),
      h('code', { text: e.action }),
      h('span', { class: 'muted', text: `${e.target.type} ${shortId(e.target.id)}` }),
    ),
    details && h('div', { class: 'note', text: details }),
  );
}
