// Numbers written as strings: "150", "12.5", "1,5" where the schema asks for a number.
//
// Models (especially in Portuguese) often quote numbers or write them with a decimal comma.
// Where the schema says a value is a number or an integer, such a string is turned into the
// number before validation, so a correct answer is not failed for its spelling.
//
// What counts as a number, on purpose narrow: optional spaces, an optional sign, digits, and
// optionally one decimal separator ('.' or ',') followed by digits. Not coerced, so the schema
// reports them: units ("150 g": the unit may not be the one the field means, "0.5 kg" would
// become 0.5 grams), thousands separators ("1.500" is 1500 in Brazil but 1.5 in English, and
// "1.500,5" mixes both), empty strings, NaN and infinities.
#pragma once

#include <aiw/json.h>

#include <string_view>

namespace parse {

// True with the value when text is a number as described above.
bool number_from_text(std::string_view text, double& value);

// Walks schema alongside value (properties, additionalProperties when it is a schema, items as
// one schema or a list per position) and replaces every string that number_from_text accepts
// where the schema's type is "number" or "integer", or a list of types holding one of those.
// A list that also allows "string" (a lab result: 5.2 or "Negativo") still gets the number:
// the model quoting "5,2" meant the measure, and text that is not a plain number ("<0,5",
// "Reagente") stays text. Integral results become integers. allOf/anyOf/oneOf and $ref are
// not followed: coercion under them would have to guess which branch the model meant.
void coerce_numbers(const aiw::JsonValue& schema, aiw::JsonValue& value);

}  // namespace parse
