// Elasticsearch index mappings as EQL schemas, and Elasticsearch's dynamic mapping.
//
// A mapping file is an Elasticsearch `properties` object (optionally wrapped in `mappings` or
// `{index: {mappings: ...}}`), possibly preceded by `#` or `//` comment lines as in the ES QA suite.
// Fields the mapping does not list but documents carry are added the way ES does when it indexes
// them (dynamic mapping), so a query on them is valid.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "eql/schema.h"
#include "event/event.h"

namespace audetect::eql {

// Drops lines whose first non-blank characters are `//` or `#` (ES QA data/mapping convention).
// Line count is kept (dropped lines become empty) so JSON error positions stay right.
std::string strip_comment_lines(std::string_view text);

// Parses mapping JSON. Errors name `source` and the position. The schema is strict (unknown
// non-optional fields are errors, as in Elasticsearch).
Result<Schema> parse_mapping(std::string_view json_text, std::string_view source = "mapping");
Result<Schema> load_mapping_file(const std::string& path);
// Loads several files and merges them as one index pattern (date formats joined with `||`).
Result<Schema> load_mapping_files(const std::vector<std::string>& paths);

// Whether Elasticsearch's default date detection would map this JSON string as a date
// (strict_date_optional_time, or "yyyy/MM/dd HH:mm:ss Z" / "yyyy/MM/dd Z").
bool looks_like_dynamic_date(std::string_view s);

// Adds every leaf of `event` that `schema` does not know, typed as Elasticsearch's dynamic mapping
// would (integer -> long, float -> float, boolean, object, date-looking string -> date, other string
// -> text with a keyword sub-field, ignore_above 256; arrays take their first non-null element's
// type). Fields under a mapped leaf or alias are left alone. Returns how many fields were added.
// Bounded: stops adding after `max_new_fields` (ES's total-fields limit is 1000).
size_t add_dynamic_fields(Schema& schema, const Event& event, size_t max_new_fields = 10000);

}  // namespace audetect::eql
