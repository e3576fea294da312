// GitHub workflow commands that annotate a file at a line: `::error file=F,line=L,col=C::message`.
// A step's stdout line in this form shows on the pull request beside the line it names, so a
// complaint of `policy validate --format github` appears where the reviewer reads the policy.
// Escaping follows the runner's rules (those of @actions/core): in the message %, CR and LF are
// percent-encoded; in a property value also `:` and `,`, which would end the property.

export type AnnotationLevel = 'error' | 'warning' | 'notice';

/** Where an annotation points; line and column are 1-based and optional. */
export interface AnnotationPlace {
  file: string;
  line?: number;
  column?: number;
}

/** The message part of a workflow command. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value of a workflow command (file=..., line=...). */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One annotation line, without its newline; with no place it annotates the run, not a file. */
export function annotation(level: AnnotationLevel, message: string, place?: AnnotationPlace): string {
  const props: string[] = [];
  if (place) {
    props.push(`file=${escapeProperty(place.file)}`);
    if (place.line !== undefined) props.push(`line=${place.line}`);
    if (place.line !== undefined && place.column !== undefined) props.push(`col=${place.column}`);
  }
  return `::${level}${props.length ? ` ${props.join(',')}` : ''}::${escapeData(message)}`;
}
