// Where policies live by default, apart from the code that reads them, so the command line can name
// it in its help without loading the schema.

export const DEFAULT_POLICY_DIR = 'policies';
