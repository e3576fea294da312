// `shadowcast policy comment`: the markdown of the one comment a pull request that changes policies
// gets (.github/workflows/policy-pr.yml posts it, then updates it on every push). Its first line is
// a hidden marker, by which the workflow finds the comment again instead of adding one a push; then
// the head's policies as `policy validate` checks them, every complaint at file:line:col; then
// `policy diff`'s markdown of base → head, or why there is none. Pure: the caller checks the
// policies and computes the diff.

import type { InputError } from '../core/errors.js';
import { errorSummary, okSummary, type PolicyCheck } from '../policy/check.js';
import type { PolicyWarning } from '../policy/warnings.js';
import { md } from './format.js';

/** The comment's first line: an HTML comment, which GitHub does not render. */
export const POLICY_COMMENT_MARKER = '<!-- shadowcast:policy-comment -->';

export interface PolicyCommentInput {
  /** What the comment calls the head (a branch and commit, or the directory). */
  headLabel: string;
  /** The head's policies, checked. */
  check: PolicyCheck;
  /** `policy diff`'s markdown of base → head, or why it was not computed (with the complaints that stop it). */
  diff: { markdown: string } | { missing: string; complaints?: readonly InputError[] };
}

export function policyCommentMarkdown(input: PolicyCommentInput): string {
  const out = [POLICY_COMMENT_MARKER, '## shadowcast: policy check', ''];
  out.push(...validation(input.headLabel, input.check), '');
  if ('markdown' in input.diff) out.push(input.diff.markdown.trimEnd());
  else {
    out.push('### shadowcast policy diff', '', `Not computed: ${md(input.diff.missing)}`);
    const complaints = input.diff.complaints ?? [];
    if (complaints.length) out.push('', ...complaints.map(complaintItem));
  }
  return `${out.join('\n')}\n`;
}

function validation(label: string, check: PolicyCheck): string[] {
  const out = [`### shadowcast policy validate: ${code(label)}`, ''];
  if (check.errors.length) {
    out.push(`❌ ${errorSummary(check.errors)}:`, '');
    out.push(...check.errors.map(complaintItem));
    return out;
  }
  out.push(`✅ policies OK: ${md(okSummary(check))}`);
  if (check.warnings.length) out.push('', ...check.warnings.map(warningItem));
  return out;
}

function complaintItem(e: InputError): string {
  return `- ${place(e.file, e.line, e.column)}: ${md(e.detail)}`;
}

function warningItem(w: PolicyWarning): string {
  const where = w.at ? place(w.at.file, w.at.line) : md(w.where);
  return `- ⚠️ ${where}: ${md(`${w.pool}: ${w.message}`)}`;
}

/** `file:line:col` as a code span, the way `policy validate` prints it. */
function place(file: string, line?: number, column?: number): string {
  const at = line === undefined ? '' : `:${line}${column === undefined ? '' : `:${column}`}`;
  return code(`${file}${at}`);
}

/** A code span that holds any text: its fence is longer than any run of backticks inside. */
function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return longest ? `${fence} ${text} ${fence}` : `${fence}${text}${fence}`;
}
