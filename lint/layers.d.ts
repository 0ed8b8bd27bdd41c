import type { Rule } from 'eslint';

export interface Layer {
  readonly name: string;
  readonly paths: readonly string[];
  readonly may: readonly string[];
  readonly types?: readonly string[];
}
export declare const LAYERS: readonly Layer[];
export declare function layerOf(rel: string): Layer | undefined;
export declare const boundaries: Rule.RuleModule;
declare const plugin: { rules: { boundaries: Rule.RuleModule } };
export default plugin;
