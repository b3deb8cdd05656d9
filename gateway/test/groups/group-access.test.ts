/** A reader group is authorised through its streams: the right is needed on every one of them. */
import { describe, expect, it } from 'vitest';
import { parseGrant } from '../../src/auth/grants.js';
import { authorizeGroup } from '../../src/groups/group-access.js';

const streams = ['demo/a', 'other/b'];

describe('authorizeGroup', () => {
  it('allows everything when authorisation is off', () => {
    expect(() => authorizeGroup(streams, undefined, 'admin', 'demo/g')).not.toThrow();
  });

  it('allows a right held on every stream the group reads', () => {
    const grants = [parseGrant('demo/*:read'), parseGrant('other/b:read')];
    expect(() => authorizeGroup(streams, grants, 'read', 'demo/g')).not.toThrow();
  });

  it('refuses, naming the first stream without the right, when one stream lacks it', () => {
    const grants = [parseGrant('demo/*:admin')];
    expect(() => authorizeGroup(streams, grants, 'read', 'demo/g')).toThrow(
      expect.objectContaining({
        code: 'permission-denied',
        message: expect.stringContaining('no read right on other/b, which reader group demo/g reads'),
      }),
    );
  });
});
