/**
 * A bound on V8's young generation while a command streams through a large capture file.
 *
 * Reading a capture allocates fast and keeps little: each record dies young. V8 still doubles the
 * young generation's semi-spaces (1 MiB at start) every time the bytes that survived its scavenges
 * add up to its size, so on a long file it always ends at its 16 MiB maximum: 32 MiB more RSS
 * than at 2 MiB, for no speed (measured on `verify` of 100,000 requests: 2 MiB semi-spaces are as
 * fast as 16, peak RSS 61 MiB rather than 87). V8 reads its maximum only at start-up, which a CLI
 * run as `twhook` cannot set, but reads the growth factor each time it grows: so the young
 * generation may grow up to the bound, and its growth is then turned off until release().
 * Where V8 ignores the flag, the bound just does not apply.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** V8's default growth factor (--semi-space-growth-factor). */
const DEFAULT_GROWTH_FACTOR = 2;

export interface YoungGenerationBound {
  /** Cheap enough to call every few hundred records: looks at the heap every 16th call. */
  check(): void;
  /** Gives V8 back its default growth (the process may go on with other work). */
  release(): void;
}

export function boundYoungGeneration(semiSpaceMiB = 2): YoungGenerationBound {
  // new_space's size counts both semi-spaces.
  const limit = 2 * semiSpaceMiB * 1024 * 1024;
  let calls = 0;
  let frozen = false;
  return {
    check() {
      if (frozen || calls++ % 16 !== 0) return;
      const young = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
      if (young && young.space_size >= limit) {
        frozen = true;
        setFlagsFromString('--semi-space-growth-factor=1');
      }
    },
    release() {
      if (frozen) setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`);
      frozen = false;
    },
  };
}

/**
 * A steadier old generation for a long-running process that keeps a bounded window of recent
 * data (a dev session: the web inspector's last 1,000 requests, the idempotency tokens): each
 * request's entry lives long enough to reach the old generation, and is garbage a thousand
 * requests later. V8 lets the old generation grow to two to four times what is live before it
 * collects, so the RSS of a session swung by 40 MiB and more between collections; at 1.5 times it
 * stays within a few MiB of where it settled after the first requests, for a collection every
 * few thousand requests. `percent` is V8's --heap-growing-percent; release() gives back V8's own.
 */
export function steadyOldGeneration(percent = 50): { release(): void } {
  setFlagsFromString(`--heap-growing-percent=${percent}`);
  return {
    release() {
      setFlagsFromString('--heap-growing-percent=0');
    },
  };
}
