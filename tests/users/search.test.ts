import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createUser, expectError, updateProfile, type TestUser } from '../helpers/factories.js';

let t: TestApp;
let me: TestUser;
beforeAll(async () => {
  t = await startTestApp();
  me = await createUser(t);
});
afterAll(async () => {
  await t?.stop();
});

/** A prefix no other test in this file uses, so each test sees only its own users. */
function prefix(): string {
  return `s${randomBytes(3).toString('hex')}`;
}

interface Found {
  id: string;
  username: string;
  displayName: string | null;
}

async function search(query: string, as: TestUser = me) {
  return t.http.get(`/api/users/search?${query}`).set(as.auth);
}

async function searchIds(q: string, as: TestUser = me): Promise<string[]> {
  const res = await search(`q=${encodeURIComponent(q)}`, as);
  expect(res.status).toBe(200);
  return (res.body.data as Found[]).map((u) => u.id);
}

describe('GET /api/users/search', () => {
  it('finds users by username prefix, case-insensitively, as a page of public profiles', async () => {
    const p = prefix();
    const a = await createUser(t, { username: `${p}_Anna` });
    const b = await createUser(t, { username: `${p}_anton` });
    await createUser(t, { username: `x${p}_notprefix` });
    const res = await search(`q=${p.toUpperCase()}_AN`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, page: { nextCursor: null } });
    expect(res.body.page.limit).toEqual(expect.any(Number));
    expect((res.body.data as Found[]).map((u) => u.id).sort()).toEqual([a.id, b.id].sort());
    for (const u of res.body.data) {
      expect(u).not.toHaveProperty('email');
      expect(u).not.toHaveProperty('passwordHash');
    }
  });

  it('finds users by displayName prefix, case-insensitively', async () => {
    const p = prefix();
    const byName = await createUser(t);
    await updateProfile(t, byName, { displayName: `${p} Zelda Fitz` });
    const other = await createUser(t);
    await updateProfile(t, other, { displayName: `Not ${p}` });
    expect(await searchIds(`${p.toUpperCase()} zEL`)).toEqual([byName.id]);
  });

  it('matches a prefix only, not the middle of a name', async () => {
    const p = prefix();
    await createUser(t, { username: `zz${p}` });
    expect(await searchIds(p)).toEqual([]);
  });

  it('never includes me, even when I match', async () => {
    const p = prefix();
    const self = await createUser(t, { username: `${p}_self` });
    const other = await createUser(t, { username: `${p}_other` });
    expect(await searchIds(p, self)).toEqual([other.id]);
  });

  it('a user matching by both username and displayName appears once', async () => {
    const p = prefix();
    const both = await createUser(t, { username: `${p}_both` });
    await updateProfile(t, both, { displayName: `${p} Both` });
    expect(await searchIds(p)).toEqual([both.id]);
  });

  it('follows page.nextCursor via ?cursor= with no duplicates and none skipped', async () => {
    const p = prefix();
    const expected: string[] = [];
    for (let i = 0; i < 5; i += 1)
      expected.push((await createUser(t, { username: `${p}_${i}` })).id);
    // Two more found by display name only, with usernames sorting elsewhere.
    for (const name of ['aaa', 'zzz']) {
      const u = await createUser(t, { username: `${name}_${p}` });
      await updateProfile(t, u, { displayName: `${p} by display` });
      expected.push(u.id);
    }

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const cursorQuery: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const res = await search(`q=${p}&limit=2${cursorQuery}`);
      expect(res.status).toBe(200);
      expect(res.body.page.limit).toBe(2);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...(res.body.data as Found[]).map((u) => u.id));
      cursor = res.body.page.nextCursor;
      pages += 1;
      expect(pages).toBeLessThanOrEqual(10);
    } while (cursor);

    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...expected].sort());
    expect(pages).toBe(4);
  });

  it('the cursor is also accepted as ?before=, the usual pagination parameter', async () => {
    const p = prefix();
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push((await createUser(t, { username: `${p}_${i}` })).id);
    const first = await search(`q=${p}&limit=2`);
    const cursor = encodeURIComponent(first.body.page.nextCursor);
    const second = await search(`q=${p}&limit=2&before=${cursor}`);
    expect(second.status).toBe(200);
    const seen = [...first.body.data, ...second.body.data].map((u: Found) => u.id);
    expect(seen.sort()).toEqual(ids.sort());
    expect(second.body.page.nextCursor).toBeNull();
  });

  it('a page exactly full has no next cursor', async () => {
    const p = prefix();
    await createUser(t, { username: `${p}_1` });
    await createUser(t, { username: `${p}_2` });
    const res = await search(`q=${p}&limit=2`);
    expect(res.body.data).toHaveLength(2);
    expect(res.body.page.nextCursor).toBeNull();
  });

  it('a LIKE wildcard % in q matches only a literal %', async () => {
    const p = prefix();
    const percent = await createUser(t);
    await updateProfile(t, percent, { displayName: `${p}%off` });
    const plain = await createUser(t);
    await updateProfile(t, plain, { displayName: `${p}Xoff` });
    expect(await searchIds(`${p}%`)).toEqual([percent.id]);
    expect(await searchIds('%')).not.toContain(plain.id);
  });

  it('a LIKE wildcard _ in q matches only a literal _', async () => {
    const p = prefix();
    const underscore = await createUser(t, { username: `${p}_x` });
    await createUser(t, { username: `${p}Ax` });
    expect(await searchIds(`${p}_`)).toEqual([underscore.id]);
  });

  it('a backslash in q is taken literally and does not break the query', async () => {
    const p = prefix();
    const slash = await createUser(t);
    await updateProfile(t, slash, { displayName: `${p}\\path` });
    expect(await searchIds(`${p}\\`)).toEqual([slash.id]);
  });

  it('q with only spaces around it is trimmed', async () => {
    const p = prefix();
    const u = await createUser(t, { username: `${p}_trim` });
    expect(await searchIds(`  ${p}_tr  `)).toEqual([u.id]);
  });

  it('no match gives an empty list with a null cursor', async () => {
    const res = await search(`q=${prefix()}nothing`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: true,
      data: [],
      page: { nextCursor: null, limit: expect.any(Number) },
    });
  });

  it.each([
    ['q missing', ''],
    ['q empty', 'q='],
    ['q only spaces', 'q=%20%20'],
    ['q longer than 50 characters', `q=${'a'.repeat(51)}`],
    ['limit 0', 'q=a&limit=0'],
    ['limit 101', 'q=a&limit=101'],
    ['limit not a number', 'q=a&limit=many'],
    ['a cursor not from this list', 'q=a&cursor=bm90LWEtY3Vyc29y'],
  ])('%s gets 400 VALIDATION_ERROR', async (_label, query) => {
    expectError(await search(query), 400, 'VALIDATION_ERROR');
  });
});
