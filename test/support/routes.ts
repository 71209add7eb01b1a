import type { Router } from 'express';

export interface RouteInfo {
  method: string;
  path: string;
}

interface Layer {
  rawPath?: string;
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/**
 * Every route an Express router answers, with its full path: read from the router's stack
 * (nested routers and their mount paths included), so a route added later is listed too.
 */
export function routesOf(router: Router, prefix = ''): RouteInfo[] {
  const out: RouteInfo[] = [];
  for (const layer of (router as unknown as { stack: Layer[] }).stack) {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      for (const p of paths) for (const method of Object.keys(layer.route.methods)) out.push({ method: method.toUpperCase(), path: `${prefix}${p}`.replace(/\/+$/, '') || '/' });
    } else if (layer.handle?.stack) {
      const mount = typeof layer.rawPath === 'string' ? layer.rawPath : '';
      out.push(...routesOf(layer.handle as unknown as Router, `${prefix}${mount === '/' ? '' : mount}`));
    }
  }
  return out;
}
