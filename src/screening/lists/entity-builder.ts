import type { Address, Alias, EntityType, Identifier, ListEntity } from '../model.js';
import { countryCode } from './countries.js';

/** Collects the parts of one entity without duplicates, then freezes it into a `ListEntity`. */
export class EntityBuilder {
  private aliases = new Map<string, Alias>();
  private addresses = new Map<string, Address>();
  private countries = new Set<string>();
  private dobs = new Set<string>();
  private ids = new Map<string, Identifier>();
  private programmes = new Set<string>();
  remarks: string | undefined;

  constructor(
    readonly entity_id: string,
    readonly list: string,
    public type: EntityType,
    public name: string,
  ) {}

  alias(name: string | undefined, quality?: Alias['quality'], kind?: Alias['kind']): this {
    const n = name?.replace(/\s+/g, ' ').trim();
    if (!n || n === this.name.trim()) return this;
    const k = n.toLowerCase();
    const prev = this.aliases.get(k);
    // A strong spelling wins over the same spelling listed as weak.
    if (!prev || (prev.quality === 'weak' && quality !== 'weak')) {
      const a: Alias = { name: n };
      if (quality) a.quality = quality;
      if (kind) a.kind = kind;
      this.aliases.set(k, a);
    }
    return this;
  }

  address(parts: Array<string | undefined>, country?: string): this {
    const text = parts.map((p) => p?.replace(/\s+/g, ' ').trim()).filter((p) => p).join(', ');
    const code = countryCode(country);
    if (!text && !code) return this;
    const a: Address = { text: text || (country ?? '') };
    if (code) {
      a.country = code;
      this.countries.add(code);
    }
    this.addresses.set(a.text + '|' + (code ?? ''), a);
    return this;
  }

  country(name: string | undefined): this {
    const c = countryCode(name);
    if (c) this.countries.add(c);
    return this;
  }

  dob(iso: Iterable<string>): this {
    for (const d of iso) this.dobs.add(d);
    return this;
  }

  identifier(type: string, value: string | undefined, country?: string): this {
    const v = value?.trim();
    if (!v) return this;
    const id: Identifier = { type: type.trim(), value: v };
    const c = countryCode(country);
    if (c) id.country = c;
    this.ids.set(`${id.type}|${v}`, id);
    return this;
  }

  programme(p: string | undefined): this {
    const t = p?.trim();
    if (t) this.programmes.add(t);
    return this;
  }

  build(): ListEntity {
    const e: ListEntity = {
      entity_id: this.entity_id,
      list: this.list,
      type: this.type,
      name: this.name.replace(/\s+/g, ' ').trim(),
      aliases: [...this.aliases.values()],
      addresses: [...this.addresses.values()],
      countries: [...this.countries],
      dates_of_birth: [...this.dobs].sort(),
      identifiers: [...this.ids.values()],
      programmes: [...this.programmes],
    };
    if (this.remarks) e.remarks = this.remarks;
    return e;
  }
}

/** `a;b; c` → ['a','b','c'] */
export function splitList(s: string | undefined, sep: string | RegExp = ';'): string[] {
  if (!s) return [];
  return s
    .split(sep)
    .map((x) => x.trim())
    .filter((x) => x);
}
