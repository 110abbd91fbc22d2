import { errorText, get, post } from './api';
import { $, toast } from './dom';

/**
 * Web Push in the demo client: a service worker (sw.js) shows the pushes; the "Notify me" button asks
 * for the user's permission (never before they click), subscribes with the server's VAPID key and
 * registers the subscription with the API.
 */

function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const b64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i += 1) out[i] = raw.charCodeAt(i);
  return out;
}

async function subscribe(button: HTMLButtonElement): Promise<void> {
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') {
    toast('Notifications are blocked for this site', 'error');
    return;
  }
  const registration = await navigator.serviceWorker.register('/sw.js');
  await navigator.serviceWorker.ready;
  const { publicKey } = await get<{ publicKey: string }>('/push/vapid-public-key');
  const subscription =
    (await registration.pushManager.getSubscription()) ??
    (await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(publicKey),
    }));
  await post('/push/subscriptions', subscription.toJSON());
  showOn(button);
  toast('Notifications on: you get a push when you are away');
}

function showOn(button: HTMLButtonElement): void {
  button.textContent = '🔔 On';
  button.title = 'You get a push when you are away';
  button.dataset.subscribed = 'true';
}

/** Shows the button where the browser can do Web Push. */
export function wirePush(): void {
  const button = $('#push-enable') as HTMLButtonElement;
  if (!('serviceWorker' in navigator) || !('PushManager' in window)) return;
  button.hidden = false;
  // Subscribed in an earlier visit: say so (the permission was given then).
  if (Notification.permission === 'granted')
    void navigator.serviceWorker
      .getRegistration('/')
      .then((r) => r?.pushManager.getSubscription())
      .then((s) => s && showOn(button))
      .catch(() => undefined);
  button.addEventListener('click', () => {
    button.disabled = true;
    subscribe(button)
      .catch((err: unknown) => toast(`Notifications: ${errorText(err)}`, 'error'))
      .finally(() => (button.disabled = false));
  });
}
