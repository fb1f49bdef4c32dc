/**
 * The rule sets shipped with Fabgate, and loading of other versions (a newer
 * rule set to diff against, an older one a stored classification used).
 */
import { FabgateError } from '../../shared/errors.js';
import { compileRuleSets, ruleSetDigest, type Engine, type LoadedRuleSet } from '../evaluate.js';
import { ruleSetSchema, type RuleSet } from './ruleset-schema.js';
import caEcl from './ca-ecl.json' with { type: 'json' };
import esNational from './es-national.json' with { type: 'json' };
import eu20210821 from './eu-2021-821.json' with { type: 'json' };
import uk from './uk.json' with { type: 'json' };
import usEar from './us-ear.json' with { type: 'json' };
import wassenaar from './wassenaar.json' with { type: 'json' };

/** The shipped files, in the order results are listed. */
const SHIPPED: unknown[] = [usEar, eu20210821, uk, wassenaar, esNational, caEcl];

/** Validate a parsed rule-set document. Throws CLASSIFICATION_RULESET_INVALID listing the problems. */
export function parseRuleSet(value: unknown, where = 'rule set'): LoadedRuleSet {
  const r = ruleSetSchema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message }));
    throw new FabgateError(
      'CLASSIFICATION_RULESET_INVALID',
      `${where}: not a valid rule set (${issues
        .slice(0, 3)
        .map((i) => `${i.field || '(root)'}: ${i.message}`)
        .join('; ')})`,
      'invalid_input',
      { issues },
    );
  }
  return { ruleSet: r.data, sha256: ruleSetDigest(r.data) };
}

let shipped: LoadedRuleSet[] | undefined;
let engine: Engine | undefined;

/** The rule sets shipped in this folder, validated once. */
export function shippedRuleSets(): LoadedRuleSet[] {
  shipped ??= SHIPPED.map((v, i) => parseRuleSet(v, `shipped rule set #${i}`));
  return shipped;
}

/** The shipped rule sets compiled once for evaluation. */
export function defaultEngine(): Engine {
  engine ??= compileRuleSets(shippedRuleSets());
  return engine;
}

/** The shipped rule sets with `replacement` put in place of the one for the same regime (or added). */
export function withRuleSet(replacement: LoadedRuleSet, base: LoadedRuleSet[] = shippedRuleSets()): LoadedRuleSet[] {
  const i = base.findIndex((s) => s.ruleSet.regime === replacement.ruleSet.regime);
  return i < 0 ? [...base, replacement] : base.map((s, j) => (j === i ? replacement : s));
}

export type { RuleSet };
