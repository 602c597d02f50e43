// How food names are compared: the same food written with other case, accents, spacing or
// punctuation must match, and nothing looser than that.
#pragma once

#include <string>
#include <string_view>

namespace nutrition {

// The words of name, lower-case, without accents (Latin-1 letters: "Feijão" -> "feijao"),
// joined by one space; every other ASCII character separates words ("Arroz, tipo 1, cozido"
// and "arroz tipo 1 cozido" both give "arroz tipo 1 cozido"). Other non-ASCII characters are
// kept as they are.
std::string normalise_name(std::string_view name);

// normalise_name of the text before the first comma: "Banana, prata, crua" -> "banana".
std::string first_segment(std::string_view name);

}  // namespace nutrition
