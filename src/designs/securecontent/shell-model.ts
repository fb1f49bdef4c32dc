import { randomUUID } from 'node:crypto';
import type { ModelSkeleton } from './model-skeleton.js';
import { CORE, PRODUCTION, SECURE } from './vocabulary.js';
import { escapeXml } from './xml.js';

/**
 * The root model of a protected package when the original kept its geometry
 * in the root model part. Secure Content §1.2 forbids encrypting root parts,
 * so the original root model moves, byte for byte, to a non-root model part
 * that is encrypted, and this shell takes its place: one component object per
 * object the build uses, each referencing the original object through the
 * Production extension's `p:path` (Production §3.1.2), and the original build
 * items with their transforms.
 *
 * Every UUID in the shell is new: the moved model keeps its own (Production
 * §4 wants UUIDs unique within a package, and the moved part still carries
 * its original build section, which consumers ignore).
 *
 * The shell reveals the build layout (how many items, their transforms and
 * object types) and nothing of the geometry, names, part numbers, metadata or
 * materials, which all stay in the encrypted part.
 */
export function buildShellModel(skeleton: ModelSkeleton, externalPart: string): string {
  const used = [...new Set(skeleton.items.map((i) => i.objectId))];
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<model unit="${escapeXml(skeleton.unit)}"${skeleton.lang ? ` xml:lang="${escapeXml(skeleton.lang)}"` : ''} xmlns="${CORE.ns}" xmlns:p="${PRODUCTION.ns}" xmlns:sc="${SECURE.ns}" requiredextensions="p sc">`,
    '\t<resources>',
  ];
  for (const id of used) {
    const type = skeleton.objects.get(id)?.type ?? 'model';
    lines.push(
      `\t\t<object id="${id}" type="${type}" p:UUID="${randomUUID()}">`,
      '\t\t\t<components>',
      `\t\t\t\t<component objectid="${id}" p:path="${escapeXml(externalPart)}" p:UUID="${randomUUID()}"/>`,
      '\t\t\t</components>',
      '\t\t</object>',
    );
  }
  lines.push('\t</resources>', `\t<build p:UUID="${randomUUID()}">`);
  for (const item of skeleton.items) {
    const transform = item.transform !== undefined ? ` transform="${escapeXml(item.transform)}"` : '';
    lines.push(`\t\t<item objectid="${item.objectId}"${transform} p:UUID="${randomUUID()}"/>`);
  }
  lines.push('\t</build>', '</model>', '');
  return lines.join('\n');
}
