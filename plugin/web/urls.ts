import type { RequestHandler, Response } from 'express';

declare module 'express-serve-static-core' {
  interface Locals {
    /** Where the plugin's router is mounted ('' at the root, '/loyalty' under a prefix). */
    mount?: string;
  }
}

/**
 * Notes the plugin's mount point (`req.baseUrl` as the plugin's router sees it) before any
 * area router adds its own prefix, so links and cookie paths stay inside the mount.
 */
export const captureMount: RequestHandler = (req, res, next) => {
  res.locals.mount = req.baseUrl.replace(/\/+$/, '');
  next();
};

export function mountOf(res: Response): string {
  return res.locals.mount ?? '';
}

/**
 * A link inside the plugin: `mountUrl('/loyalty', 'client/rewards', { before: 7 })` is
 * `/loyalty/client/rewards?before=7`. `path` is a route of ours, written in code or a
 * template, never user input; query values are encoded.
 */
export function mountUrl(mount: string, path: string, query?: Readonly<Record<string, string | number>>): string {
  const search = query ? new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString() : '';
  return `${mount}/${path.replace(/^\/+/, '')}${search ? `?${search}` : ''}`;
}

/** Cookies live under the mount, so two plugins (or the panel) on one host don't share them. */
export function cookiePath(res: Response): string {
  return mountOf(res) || '/';
}
