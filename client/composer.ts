import { api, errorText, post } from './api';
import { $, displayName, toast } from './dom';
import type { MessageList } from './messages';
import { offer } from './revs';
import { emit, emitQuietly, isConnected } from './socket';
import { state } from './state';
import type { FileInfo, Message, Tombstone } from './types';

/** The message box: send, reply, edit, upload a file, and tell the room I am typing. */

let mode: { kind: 'reply' | 'edit'; msg: Message } | null = null;
let typingRoom: string | null = null;
let typingSince = 0;
let typingTimer = 0;

const text = () => $<HTMLTextAreaElement>('#text');

/** An idempotency key: a retried send returns the first message instead of a duplicate. */
function clientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `web-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function setMode(next: typeof mode): void {
  mode = next;
  const bar = $('#mode-bar');
  bar.hidden = !next;
  if (next)
    $('#mode-text').textContent =
      next.kind === 'edit'
        ? 'Editing your message'
        : `Replying to ${displayName(next.msg.sender)}: ${next.msg.content.slice(0, 80)}`;
}

export function startReply(msg: Message): void {
  setMode({ kind: 'reply', msg });
  text().focus();
}

export function startEdit(msg: Message): void {
  setMode({ kind: 'edit', msg });
  text().value = msg.content;
  text().focus();
}

export function resetComposer(): void {
  stopTyping();
  setMode(null);
  text().value = '';
}

function typed(): void {
  const room = state.current;
  if (!room || !text().value.trim()) return stopTyping();
  // Repeat typing-start while typing goes on: the server forgets it after a few seconds.
  if (typingRoom !== room || Date.now() - typingSince > 2500) {
    if (typingRoom && typingRoom !== room) stopTyping();
    emitQuietly('typing-start', { room });
    typingRoom = room;
    typingSince = Date.now();
  }
  clearTimeout(typingTimer);
  typingTimer = window.setTimeout(stopTyping, 3000);
}

function stopTyping(): void {
  clearTimeout(typingTimer);
  if (typingRoom) emitQuietly('typing-stop', { room: typingRoom });
  typingRoom = null;
}

async function submit(): Promise<void> {
  const room = state.current;
  const content = text().value.trim();
  if (!room || !content) return;
  const current = mode;
  text().value = '';
  setMode(null);
  stopTyping();
  try {
    if (current?.kind === 'edit') {
      // Replies to my own actions go through the same check as events: whichever is newer wins.
      const { data } = await api<Message>('PUT', `/messages/${current.msg.id}`, { content });
      offer(data);
      return;
    }
    const body = { room, content, replyTo: current?.msg.id, clientId: clientId() };
    // Over the socket when connected, else REST: the same rules and the same message either way.
    const message = isConnected()
      ? await emit<Message>('send-message', body)
      : await post<Message>('/messages', body);
    offer(message);
  } catch (err) {
    text().value = content;
    setMode(current);
    toast(errorText(err), 'error');
  }
}

async function upload(list: MessageList, file: File): Promise<void> {
  const room = state.current;
  if (!room) return;
  const form = new FormData();
  form.append('room', room);
  const caption = text().value.trim();
  if (caption) form.append('caption', caption);
  form.append('file', file);
  const status = $('#upload-status');
  status.textContent = `Uploading ${file.name}…`;
  try {
    const { data } = await api<{ file: FileInfo; message: Message }>('POST', '/files/upload', form);
    text().value = '';
    offer(data.message);
    list.scrollToBottom();
  } catch (err) {
    toast(errorText(err), 'error');
  } finally {
    status.textContent = '';
  }
}

export function wireComposer(list: MessageList): void {
  const form = $<HTMLFormElement>('#composer');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void submit();
  });
  text().addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    } else if (e.key === 'Escape' && mode) {
      if (mode.kind === 'edit') text().value = '';
      setMode(null);
    }
  });
  text().addEventListener('input', typed);
  text().addEventListener('blur', stopTyping);
  $('#mode-cancel').addEventListener('click', () => {
    if (mode?.kind === 'edit') text().value = '';
    setMode(null);
  });
  const picker = $<HTMLInputElement>('#file');
  $('#attach').addEventListener('click', () => picker.click());
  picker.addEventListener('change', () => {
    const file = picker.files?.[0];
    picker.value = '';
    if (file) void upload(list, file);
  });
}

/** Deletes a message after asking; the server tells every client, this one included. */
export async function deleteMessage(msg: Message): Promise<void> {
  if (!confirm('Delete this message for everyone?')) return;
  try {
    const { data } = await api<Omit<Tombstone, 'deleted'>>('DELETE', `/messages/${msg.id}`);
    offer({ ...data, deleted: true });
  } catch (err) {
    toast(errorText(err), 'error');
  }
}

/** The reply (the reactions) has no rev: the `message-reaction` event, to me too, shows the change. */
export async function toggleReaction(msg: Message, emoji: string) {
  try {
    await post(`/messages/${msg.id}/react`, { emoji });
  } catch (err) {
    toast(errorText(err), 'error');
  }
}
