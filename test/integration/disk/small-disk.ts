// Real small file systems for the full-disk and read-only tests (root only): a tmpfs of a given size,
// filled up to a chosen number of free bytes by a filler file that is deleted to make room again,
// remounted read-only or read-write; and an ext4 image on a loop device mounted with
// errors=remount-ro, which the kernel can be told to turn read-only under a running process (the
// way a failing SD card or USB disk does it: a plain remount refuses while files are open for
// writing). In: sizes. Out: the mounted directory and what to do to it; `unmount` always cleans up.

import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  statfsSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/**
 * Why these tests cannot run here, or null when mounting works: probed with a 64 KiB tmpfs, and for
 * `ext4` with a loop-mounted ext4 image whose kernel error trigger is there. Like the arm64 image
 * test's binfmt, mounting is a right of the machine (root with CAP_SYS_ADMIN, loop devices), not
 * something a test can install: where it is missing the tests skip with this sentence, CI included.
 */
export function mountSkipReason(kind: 'tmpfs' | 'ext4' = 'tmpfs'): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'chainprice-mount-probe-'));
  try {
    const run = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { encoding: 'utf8' });
    if (run.status !== 0)
      return `mounting a small file system is not permitted here (${firstLine(run.stderr || String(run.error))})`;
    spawnSync('umount', [dir]);
    if (kind === 'tmpfs') return null;
    try {
      const disk = SmallDisk.ext4(4);
      const trigger = disk.hasErrorTrigger();
      disk.unmount();
      return trigger ? null : 'this kernel has no ext4 error trigger (/sys/fs/ext4/*/trigger_fs_error)';
    } catch (error) {
      return `an ext4 image cannot be loop-mounted here (${firstLine(String((error as { stderr?: string }).stderr || error))})`;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0];
}

function sh(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Bytes a process may still write in `dir`'s file system. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

export class SmallDisk {
  readonly dir: string;
  private readonly filler: string;
  private mounted = true;
  private loop: string | null = null;
  private image: string | null = null;

  private constructor(dir: string) {
    this.dir = dir;
    this.filler = join(dir, 'filler');
  }

  /** A tmpfs of `size` (e.g. "4m") on a fresh directory. */
  static tmpfs(size: string): SmallDisk {
    const dir = mkdtempSync(join(tmpdir(), 'chainprice-disk-'));
    sh('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
    return new SmallDisk(dir);
  }

  /** An ext4 file system of `megabytes` on a loop device, mounted with errors=remount-ro. */
  static ext4(megabytes: number): SmallDisk {
    const dir = mkdtempSync(join(tmpdir(), 'chainprice-ext4-'));
    const image = `${dir}.img`;
    writeFileSync(image, '');
    sh('truncate', ['-s', `${megabytes}M`, image]);
    sh('mkfs.ext4', ['-q', '-F', image]);
    sh('mount', ['-o', 'loop,errors=remount-ro', image, dir]);
    const disk = new SmallDisk(dir);
    disk.image = image;
    disk.loop = sh('findmnt', ['-no', 'SOURCE', dir]).trim();
    return disk;
  }

  /** A subdirectory to use as the data directory (the mount point itself holds the filler). */
  sub(name: string): string {
    const path = join(this.dir, name);
    mkdirSync(path, { recursive: true });
    return path;
  }

  /** Writes the filler so that about `leaveBytes` stay free (0: write until the disk refuses). */
  fill(leaveBytes = 0): void {
    const chunk = Buffer.alloc(64 * 1024, 1);
    let toWrite = Math.max(0, freeBytes(this.dir) - leaveBytes);
    const fd = openSync(this.filler, 'a');
    try {
      while (toWrite > 0) {
        const n = Math.min(chunk.length, toWrite);
        try {
          writeSync(fd, chunk, 0, n);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
        toWrite -= n;
      }
    } finally {
      closeSync(fd);
    }
  }

  /** Deletes the filler: the room it took is free again. */
  free(): void {
    rmSync(this.filler, { force: true });
  }

  remount(mode: 'ro' | 'rw'): void {
    sh('mount', ['-o', `remount,${mode}`, this.dir]);
  }

  /** ext4 only: whether the kernel offers the error trigger failToReadOnly() writes to. */
  hasErrorTrigger(): boolean {
    return this.loop !== null && existsSync(`/sys/fs/ext4/${basename(this.loop)}/trigger_fs_error`);
  }

  /** ext4 only: the kernel's own error path turns the file system read-only under open files. */
  failToReadOnly(): void {
    if (this.loop === null) throw new Error('failToReadOnly needs the ext4 disk');
    writeFileSync(`/sys/fs/ext4/${basename(this.loop)}/trigger_fs_error`, 'chainprice test\n');
  }

  /** ext4 only: unmounts, repairs with e2fsck, and mounts again (what a user does after the error). */
  repairAndMount(): void {
    if (this.loop === null || this.image === null) throw new Error('repairAndMount needs the ext4 disk');
    sh('umount', [this.dir]);
    // e2fsck exits 1 when it corrected something: a repaired file system is the point.
    spawnSync('e2fsck', ['-fy', this.image], { stdio: 'ignore' });
    sh('mount', ['-o', 'loop,errors=remount-ro', this.image, this.dir]);
    this.loop = sh('findmnt', ['-no', 'SOURCE', this.dir]).trim();
  }

  /** Unmounts (lazily, should a process still hold a file) and removes the directory. */
  unmount(): void {
    if (!this.mounted) return;
    this.mounted = false;
    spawnSync('umount', [this.dir]);
    if (spawnSync('mountpoint', ['-q', this.dir]).status === 0) spawnSync('umount', ['-l', this.dir]);
    rmSync(this.dir, { recursive: true, force: true });
    if (this.image !== null) rmSync(this.image, { force: true });
  }
}
