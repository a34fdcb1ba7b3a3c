/** The right node class for each object. */
import type { IpcObject } from '../../shared/model';
import { ObjectNode } from './objectNode';
import { SemSetNode } from './semSetNode';

export function objectNode(host: string, o: IpcObject): ObjectNode {
  return o.kind === 'sem' ? new SemSetNode(host, o) : new ObjectNode(host, o);
}

export function objectNodes(host: string, objs: IpcObject[]): ObjectNode[] {
  return objs.map((o) => objectNode(host, o));
}
