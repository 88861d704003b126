/**
 * The index the tests and the chaos suite create on a real OpenSearch node to watch a dictionary
 * file take effect: one field analysed by a synonym_graph filter reading the file.
 * - `search`: the filter is updateable and used at search time only, so `_refresh_search_analyzers`
 *   reloads it in place (what a verified rollout refreshes).
 * - `index`: the filter is used at index time; a new file needs a reindex (or a close/open to be
 *   read at all), which is what a verified rollout reports instead of refreshing.
 */
export function dictionaryIndexBody(referencePath: string, use: 'search' | 'index') {
  return {
    settings: {
      number_of_shards: 1,
      number_of_replicas: 0,
      analysis: {
        filter: {
          dict: {
            type: 'synonym_graph',
            synonyms_path: referencePath,
            ...(use === 'search' ? { updateable: true } : {}),
          },
        },
        analyzer: { dict: { tokenizer: 'standard', filter: ['lowercase', 'dict'] } },
      },
    },
    mappings: {
      properties: {
        title:
          use === 'search'
            ? { type: 'text', analyzer: 'standard', search_analyzer: 'dict' }
            : { type: 'text', analyzer: 'dict' },
      },
    },
  };
}
