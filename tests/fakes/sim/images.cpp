// The image host: small valid files generated from their name (JPEG, PNG, WebP, PDF, HTML), a
// body of any size streamed from a generator, and redirect chains. What the pipelines' image
// download step fetches in tests.
#include <array>
#include <memory>

#include "fakes/sim/sim_internal.h"

namespace aiw::sim {
namespace {

using fakes::Request;
using fakes::Response;

constexpr int kWidth = 64, kHeight = 48;  // every generated picture; multiples of 8 for JPEG

// A grey "plate with food" picture: 8x8 blocks whose shades come from the name's hash, so
// each name is a different image (and YOLO sees different bytes).
int shade(uint64_t seed, int bx, int by) {
  const int dx = 2 * bx - kWidth / 8 + 1, dy = 2 * by - kHeight / 8 + 1;
  if (dx * dx + dy * dy > 40) return 70;  // the table
  uint64_t h = fnv1a(std::string_view(reinterpret_cast<const char*>(&seed), sizeof seed),
                     static_cast<uint64_t>(bx * 31 + by));
  return 120 + static_cast<int>(h % 120);
}

class BitWriter {
 public:
  void put(uint32_t bits, int count) {
    for (int i = count - 1; i >= 0; --i) {
      byte_ = static_cast<uint8_t>((byte_ << 1) | ((bits >> i) & 1));
      if (++filled_ == 8) flush_byte();
    }
  }
  std::string finish() {
    while (filled_ != 0) put(1, 1);  // pad with ones, as the standard says
    return std::move(out_);
  }

 private:
  void flush_byte() {
    out_ += static_cast<char>(byte_);
    if (byte_ == 0xFF) out_ += '\0';  // byte stuffing: 0xFF in entropy data is 0xFF00
    byte_ = 0;
    filled_ = 0;
  }
  std::string out_;
  uint8_t byte_ = 0;
  int filled_ = 0;
};

void put16(std::string& out, int v) {
  out += static_cast<char>((v >> 8) & 0xFF);
  out += static_cast<char>(v & 0xFF);
}

void segment(std::string& out, uint8_t marker, std::string_view payload) {
  out += '\xFF';
  out += static_cast<char>(marker);
  put16(out, static_cast<int>(payload.size()) + 2);
  out += payload;
}

// A baseline greyscale JPEG whose blocks are flat: only DC coefficients, every AC run is an
// immediate end-of-block. Tiny to write, and any decoder reads it.
std::string make_jpeg(std::string_view name) {
  const uint64_t seed = fnv1a(name);
  std::string out = "\xFF\xD8";
  segment(out, 0xE0, std::string("JFIF\0\x01\x01\0\0\x01\0\x01\0\0", 14));
  segment(out, 0xFE, "aiw-sim " + std::string(name));
  segment(out, 0xDB,
          std::string(1, '\0') + std::string(64, '\x08'));  // quantiser 8: DC = shade-128
  std::string sof = "\x08";
  put16(sof, kHeight);
  put16(sof, kWidth);
  sof += std::string("\x01\x01\x11\x00", 4);
  segment(out, 0xC0, sof);
  // Huffman tables: the standard luminance DC table (K.3) and an AC table holding only EOB.
  constexpr std::array<uint8_t, 16> kDcBits = {0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
  std::string dht(1, '\x00');
  for (uint8_t b : kDcBits) dht += static_cast<char>(b);
  for (int v = 0; v < 12; ++v) dht += static_cast<char>(v);
  dht += '\x10';
  dht += '\x01';
  dht += std::string(15, '\0');
  dht += '\0';
  segment(out, 0xC4, dht);
  segment(out, 0xDA, std::string("\x01\x01\x00\x00\x3F\x00", 6));
  // Canonical codes of the DC table, by category.
  std::array<uint32_t, 12> code{};
  std::array<int, 12> length{};
  uint32_t next = 0;
  int symbol = 0;
  for (int len = 1; len <= 16; ++len, next <<= 1) {
    for (int i = 0; i < kDcBits[static_cast<size_t>(len - 1)]; ++i, ++symbol, ++next) {
      code[static_cast<size_t>(symbol)] = next;
      length[static_cast<size_t>(symbol)] = len;
    }
  }
  BitWriter bits;
  int previous = 0;
  for (int by = 0; by < kHeight / 8; ++by) {
    for (int bx = 0; bx < kWidth / 8; ++bx) {
      const int dc = shade(seed, bx, by) - 128;
      const int diff = dc - previous;
      previous = dc;
      int category = 0;
      for (int a = diff < 0 ? -diff : diff; a > 0; a >>= 1) ++category;
      const auto c = static_cast<size_t>(category);
      bits.put(code[c], length[c]);
      if (category > 0) {
        bits.put(static_cast<uint32_t>(diff > 0 ? diff : diff + (1 << category) - 1), category);
      }
      bits.put(0, 1);  // EOB
    }
  }
  out += bits.finish();
  out += "\xFF\xD9";
  return out;
}

uint32_t crc32(std::string_view data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void put32(std::string& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out += static_cast<char>((v >> s) & 0xFF);
}

void png_chunk(std::string& out, std::string_view type, std::string_view data) {
  put32(out, static_cast<uint32_t>(data.size()));
  std::string body = std::string(type) + std::string(data);
  out += body;
  put32(out, crc32(body));
}

// An RGB PNG stored without compression (deflate "stored" blocks): no zlib needed.
std::string make_png(std::string_view name) {
  const uint64_t seed = fnv1a(name);
  std::string raw;
  for (int y = 0; y < kHeight; ++y) {
    raw += '\0';  // filter: none
    for (int x = 0; x < kWidth; ++x) {
      const int s = shade(seed, x / 8, y / 8);
      raw += static_cast<char>(s);
      raw += static_cast<char>(s * 3 / 4);
      raw += static_cast<char>(s / 2);
    }
  }
  uint32_t a = 1, b = 0;  // Adler-32 of the raw data
  for (unsigned char c : raw) a = (a + c) % 65521, b = (b + a) % 65521;
  std::string zlib = "\x78\x01";
  zlib += '\x01';  // final stored block (raw is under 64 KiB)
  zlib += static_cast<char>(raw.size() & 0xFF);
  zlib += static_cast<char>(raw.size() >> 8);
  zlib += static_cast<char>(~raw.size() & 0xFF);
  zlib += static_cast<char>((~raw.size() >> 8) & 0xFF);
  zlib += raw;
  put32(zlib, (b << 16) | a);
  std::string out = "\x89PNG\r\n\x1A\n";
  std::string ihdr;
  put32(ihdr, kWidth);
  put32(ihdr, kHeight);
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, no interlace
  png_chunk(out, "IHDR", ihdr);
  png_chunk(out, "tEXt", "Comment" + std::string(1, '\0') + "aiw-sim " + std::string(name));
  png_chunk(out, "IDAT", zlib);
  png_chunk(out, "IEND", "");
  return out;
}

// A 1x1 lossy WebP (the one browsers' feature tests use).
std::string make_webp() {
  std::string bytes;
  size_t bad_at = 0;
  base64_decode("UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA", bytes, bad_at);
  return bytes;
}

std::string make_pdf(std::string_view name) {
  std::string out = "%PDF-1.4\n";
  std::array<size_t, 4> offsets{};
  const std::string content = "BT /F1 12 Tf 20 50 Td (aiw-sim " + std::string(name) + ") Tj ET";
  const std::array<std::string, 4> objects = {
      "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R >>",
      "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream"};
  for (size_t i = 0; i < objects.size(); ++i) {
    offsets[i] = out.size();
    out += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  const size_t xref = out.size();
  out += "xref\n0 5\n0000000000 65535 f \n";
  for (size_t offset : offsets) {
    char line[24];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", offset);
    out += line;
  }
  out += "trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return out;
}

std::string extension(std::string_view name) {
  const auto dot = name.rfind('.');
  return dot == std::string_view::npos ? "" : std::string(name.substr(dot + 1));
}

void images_error(Response& res, int status, const Knobs& knobs) {
  if (status == 429 || status == 503) {
    res.headers.emplace_back("Retry-After", retry_after_header(knobs.retry_after_s));
  }
  res.status = status;
  res.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  res.body = "simulated failure " + std::to_string(status) + "\n";
}

// `bytes` of a JPEG-looking body (SOI, filler, EOI), produced 64 KiB at a time.
void big_body(const Request& req, Response& res) {
  const std::string requested = query_param(req.target, "bytes").value_or("1048576");
  const uint64_t size = std::max<uint64_t>(4, std::strtoull(requested.c_str(), nullptr, 10));
  res.headers.emplace_back("Content-Type", "image/jpeg");
  res.content_length = size;
  res.next_piece = [size, sent = uint64_t{0}](std::string& piece) mutable {
    if (sent == size) return false;
    const uint64_t n = std::min<uint64_t>(size - sent, 64 * 1024);
    piece.assign(n, '\x55');
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t at = sent + i;
      if (at < 2) piece[i] = at == 0 ? '\xFF' : '\xD8';
      if (at + 2 >= size) piece[i] = at + 2 == size ? '\xFF' : '\xD9';
    }
    sent += n;
    return true;
  };
}

void serve_image(const Request& req, Response& res, const Knobs&) {
  const std::string name = req.path.substr(std::string_view("/images/").size());
  if (name == "big") return big_body(req, res);
  auto asset = render_asset(name);
  if (!asset) {
    res.status = 404;
    res.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    res.body = "404 page not found\n";
    return;
  }
  res.headers.emplace_back("Content-Type", asset->content_type);
  res.body = std::move(asset->bytes);
}

// /redirect?to=<url>&n=<hops>&status=<301|302|303|307|308>: n hops, the last one to `to`.
void redirect(const Request& req, Response& res, const Knobs&) {
  auto to = query_param(req.target, "to");
  if (!to || to->empty()) {
    res.status = 400;
    res.body = "missing ?to=\n";
    return;
  }
  const int hops = std::atoi(query_param(req.target, "n").value_or("1").c_str());
  const std::string status = query_param(req.target, "status").value_or("302");
  res.status = std::atoi(status.c_str());
  if (res.status < 300 || res.status > 399) res.status = 302;
  std::string location = *to;
  if (hops > 1) {
    location = "/redirect?to=" + percent_encode(*to) + "&n=" + std::to_string(hops - 1) +
               "&status=" + std::to_string(res.status);
  }
  res.headers.emplace_back("Location", location);
  res.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  res.body = "redirecting to " + location + "\n";
}

}  // namespace

std::optional<Asset> render_asset(std::string_view name) {
  const std::string ext = extension(name);
  if (ext == "jpg" || ext == "jpeg") return Asset{"image/jpeg", make_jpeg(name)};
  if (ext == "png") return Asset{"image/png", make_png(name)};
  if (ext == "webp") return Asset{"image/webp", make_webp()};
  if (ext == "pdf") return Asset{"application/pdf", make_pdf(name)};
  if (ext == "html" || ext == "htm") {
    return Asset{"text/html; charset=utf-8",
                 "<!doctype html>\n<html><head><title>aiw-sim " + std::string(name) +
                     "</title></head>\n<body><h1>Not an image</h1><img src=\"/images/meal.jpg\">"
                     "</body></html>\n"};
  }
  return std::nullopt;
}

ServiceDef images_service() {
  return {Service::kImages,
          images_error,
          {{"GET", "/images/", true, serve_image}, {"GET", "/redirect", false, redirect}}};
}

}  // namespace aiw::sim
