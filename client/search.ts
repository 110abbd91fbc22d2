import { api, errorText, qs } from './api';
import { $, displayName, h, timeOf, toast } from './dom';
import { state } from './state';
import type { SearchHit } from './types';

/** Full-text search over my rooms (or the open one), with "more" paging. */

let query: { q: string; room?: string } | null = null;
let cursor: string | null = null;

async function run(more: boolean, open: (room: string, messageId: string) => void): Promise<void> {
  if (!query) return;
  const { data, page } = await api<SearchHit[]>(
    'GET',
    `/messages/search?${qs({ ...query, limit: 20, cursor: more ? (cursor ?? undefined) : undefined })}`,
  );
  cursor = page?.nextCursor ?? null;
  const results = $('#search-list');
  if (!more) results.replaceChildren();
  for (const hit of data) {
    const snippet = h('div', { class: 'snippet' });
    // The one place markup from the server is used: the snippet is HTML-escaped on the server and
    // carries only <mark> tags around the matches. Everything else is set with textContent.
    snippet.innerHTML = hit.snippet;
    results.append(
      h(
        'li',
        { class: 'hit', onclick: () => open(hit.room, hit.id) },
        h(
          'div',
          { class: 'meta' },
          h('b', { text: displayName(hit.sender) }),
          h('span', { text: ` in ${state.rooms.get(hit.room)?.name ?? 'a room'}` }),
          h('time', { text: timeOf(hit.createdAt) }),
        ),
        snippet,
      ),
    );
  }
  if (!results.children.length) results.append(h('li', { class: 'muted', text: 'No matches' }));
  $('#search-more').hidden = !cursor;
}

export function wireSearch(open: (room: string, messageId: string) => void): void {
  const panel = $('#search-panel');
  $('#search').addEventListener('submit', (e) => {
    e.preventDefault();
    const q = $<HTMLInputElement>('#search-q').value.trim();
    if (!q) return;
    const onlyHere = $<HTMLInputElement>('#search-here').checked;
    query = { q, room: onlyHere ? (state.current ?? undefined) : undefined };
    panel.hidden = false;
    run(false, open).catch((err: unknown) => toast(errorText(err), 'error'));
  });
  $('#search-more').addEventListener('click', () => {
    run(true, open).catch((err: unknown) => toast(errorText(err), 'error'));
  });
  $('#search-close').addEventListener('click', () => {
    panel.hidden = true;
    query = null;
  });
}
