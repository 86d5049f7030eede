// A real, tiny filesystem for disk-full tests: a tmpfs of a few hundred KiB mounted on a temp dir,
// filled to the last byte on demand so every write on it fails with ENOSPC, as on a full disk.
// Mounting needs CAP_SYS_ADMIN (root in this project's CI container); where it is not allowed,
// `mountSmallDisk` says why and the tests that need it are skipped, saying so.

import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallDisk {
  dir: string;
  /** Writes a filler file until the filesystem refuses: from then on every write fails with ENOSPC. */
  fill(): void;
  /** Removes the filler: writes succeed again. */
  free(): void;
  unmount(): void;
}

export function mountSmallDisk(sizeKiB: number): SmallDisk | { unavailable: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return { unavailable: `cannot mount a tmpfs here (${stderr || (error as Error).message}): disk-full tests need root` };
  }
  const filler = join(dir, 'filler');
  return {
    dir,
    fill() {
      const fd = openSync(filler, 'a');
      const block = Buffer.alloc(4096, 0x78);
      try {
        for (;;) writeSync(fd, block);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        closeSync(fd);
      }
      // The last block may have gone in part: fill the rest byte by byte.
      const fd2 = openSync(filler, 'a');
      try {
        for (;;) writeSync(fd2, Buffer.from('x'));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        closeSync(fd2);
      }
    },
    free() {
      rmSync(filler, { force: true });
    },
    unmount() {
      try {
        execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
