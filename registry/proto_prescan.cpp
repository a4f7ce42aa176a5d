// prescan_proto (declared in proto_compiler.hpp): a cheap lexical pass that keeps inputs which
// would crash libprotobuf 3.21 (unbounded recursion on deep nesting) away from it.

#include <string>

#include "registry/proto_compiler.hpp"

namespace spoke {
namespace {

// Tab stops as libprotobuf's Tokenizer counts them, so our columns match its diagnostics.
constexpr int kTabWidth = 8;

enum class Lexical { Code, LineComment, BlockComment, SingleQuoted, DoubleQuoted };

}  // namespace

Status prescan_proto(const ProtoFile& file, const PushLimits& limits) {
    if (file.content.size() > limits.max_file_bytes) {
        return Error{ErrorCode::PayloadTooLarge,
                     "file \"" + file.path + "\" is " + std::to_string(file.content.size()) +
                         " bytes, over the limit of " + std::to_string(limits.max_file_bytes) +
                         " bytes per file",
                     {}};
    }
    const std::string& text = file.content;
    Lexical state = Lexical::Code;
    int depth = 0;
    int line = 0, column = 0;  // 0-based while scanning, like libprotobuf
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const char next = i + 1 < text.size() ? text[i + 1] : '\0';
        switch (state) {
            case Lexical::Code:
                if (c == '/' && next == '/') {
                    state = Lexical::LineComment;
                } else if (c == '/' && next == '*') {
                    state = Lexical::BlockComment;
                    ++i;
                    column += 2;
                    continue;
                } else if (c == '\'') {
                    state = Lexical::SingleQuoted;
                } else if (c == '"') {
                    state = Lexical::DoubleQuoted;
                } else if (c == '{' || c == '[' || c == '(' || c == '<') {
                    if (++depth > limits.max_nesting) {
                        const std::string message =
                            "nesting of '{', '[', '(' and '<' is deeper than " +
                            std::to_string(limits.max_nesting) + " levels";
                        Error e{ErrorCode::InvalidProto,
                                "file \"" + file.path + "\" line " + std::to_string(line + 1) +
                                    ": " + message,
                                {}};
                        e.details.push_back({file.path, line + 1, column + 1, message});
                        return e;
                    }
                } else if (c == '}' || c == ']' || c == ')' || c == '>') {
                    if (depth > 0) --depth;  // unbalanced closers are the parser's to report
                }
                break;
            case Lexical::LineComment:
                if (c == '\n') state = Lexical::Code;
                break;
            case Lexical::BlockComment:
                if (c == '*' && next == '/') {
                    state = Lexical::Code;
                    ++i;
                    column += 2;
                    continue;
                }
                break;
            case Lexical::SingleQuoted:
            case Lexical::DoubleQuoted: {
                const char quote = state == Lexical::SingleQuoted ? '\'' : '"';
                if (c == '\\' && next != '\n' && next != '\0') {
                    ++i;
                    column += 2;
                    continue;
                }
                // String literals cannot cross lines; the tokenizer ends them there too.
                if (c == quote || c == '\n') state = Lexical::Code;
                break;
            }
        }
        if (c == '\n') {
            ++line;
            column = 0;
        } else if (c == '\t') {
            column += kTabWidth - column % kTabWidth;
        } else {
            ++column;
        }
    }
    return ok_status();
}

}  // namespace spoke
