// The forecasting models by name, apart from the models themselves: the command line lists them
// in its help without loading any of them.

export const MODEL_NAMES = ['auto', 'prophet', 'mstl', 'naive'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];
