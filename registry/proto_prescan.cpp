// prescan_proto (declared in proto_compiler.hpp): a cheap lexical pass that keeps inputs which
// libprotobuf 3.21 cannot take away from it, and reports them with a position:
//  - message nesting deeper than its limit (libprotobuf refuses 32 nested message types with an
//    error that carries no line or column), counted as libprotobuf counts it: every `message`
//    body, every group body and every map field's entry type is one level below its parent;
//  - bracket nesting deep enough to exhaust the stack (unbounded recursion in its parsers).

#include <string>
#include <string_view>
#include <vector>

#include "registry/proto_compiler.hpp"

namespace spoke {
namespace {

// Tab stops as libprotobuf's Tokenizer counts them, so our columns match its diagnostics.
constexpr int kTabWidth = 8;

enum class Lexical { Code, LineComment, BlockComment, SingleQuoted, DoubleQuoted };

// What an open bracket started. Declarations are only recognised directly inside the file, a
// message body or another declaration block (enum, oneof, extend, service, rpc); anything inside
// a value (an option's aggregate, field options, a `map<...>` or an rpc's `(...)`) is not one.
enum class Frame { Message, Block, Value };

bool is_word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_label(std::string_view word) {
    return word == "optional" || word == "required" || word == "repeated";
}

// Declarations whose body is never a message even when the statement mentions `group`.
bool is_block_keyword(std::string_view word) {
    return word == "option" || word == "extend" || word == "oneof" || word == "enum" ||
           word == "service" || word == "rpc" || word == "extensions" || word == "reserved";
}

class Scanner {
  public:
    Scanner(const ProtoFile& file, const PushLimits& limits) : file_(file), limits_(limits) {}

    Status run() {
        const std::string& text = file_.content;
        for (size_t i = 0; i < text.size(); ++i) {
            const char c = text[i];
            const char next = i + 1 < text.size() ? text[i + 1] : '\0';
            switch (state_) {
                case Lexical::Code:
                    if (is_word_char(c)) {
                        if (word_.empty()) {
                            word_line_ = line_;
                            word_column_ = column_;
                        }
                        word_ += c;
                        break;
                    }
                    end_word();
                    if (c == '/' && next == '/') {
                        state_ = Lexical::LineComment;
                    } else if (c == '/' && next == '*') {
                        state_ = Lexical::BlockComment;
                        ++i;
                        column_ += 2;
                        continue;
                    } else if (c == '\'' || c == '"') {
                        state_ = c == '\'' ? Lexical::SingleQuoted : Lexical::DoubleQuoted;
                        token("");
                    } else if (c == '{' || c == '[' || c == '(' || c == '<') {
                        if (Status s = open(c); !s) return s;
                    } else if (c == '}' || c == ']' || c == ')' || c == '>') {
                        close();
                    } else if (c == ';') {
                        if (in_declarations()) statement_ = {};
                    } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\v' &&
                               c != '\f') {
                        token("");
                    }
                    break;
                case Lexical::LineComment:
                    if (c == '\n') state_ = Lexical::Code;
                    break;
                case Lexical::BlockComment:
                    if (c == '*' && next == '/') {
                        state_ = Lexical::Code;
                        ++i;
                        column_ += 2;
                        continue;
                    }
                    break;
                case Lexical::SingleQuoted:
                case Lexical::DoubleQuoted: {
                    const char quote = state_ == Lexical::SingleQuoted ? '\'' : '"';
                    if (c == '\\' && next != '\n' && next != '\0') {
                        ++i;
                        column_ += 2;
                        continue;
                    }
                    // String literals cannot cross lines; the tokenizer ends them there too.
                    if (c == quote || c == '\n') state_ = Lexical::Code;
                    break;
                }
            }
            if (c == '\n') {
                ++line_;
                column_ = 0;
            } else if (c == '\t') {
                column_ += kTabWidth - column_ % kTabWidth;
            } else {
                ++column_;
            }
        }
        end_word();
        return ok_status();
    }

  private:
    // The declaration being read in the innermost declaration scope.
    struct Statement {
        int tokens = 0;
        std::string first;
        std::string last;  // the last word, "" if the last token was not one
        int last_line = 0, last_column = 0;
        bool mentions_group = false;
    };

    bool in_declarations() const { return stack_.empty() || stack_.back() != Frame::Value; }

    void token(const std::string& word) { token(word, line_, column_); }

    void token(const std::string& word, int line, int column) {
        if (!in_declarations()) return;
        if (statement_.tokens == 0) statement_.first = word;
        if (word == "group") statement_.mentions_group = true;
        statement_.last = word;
        statement_.last_line = line;
        statement_.last_column = column;
        ++statement_.tokens;
    }

    void end_word() {
        if (word_.empty()) return;
        token(word_, word_line_, word_column_);
        word_.clear();
    }

    Status open(char c) {
        Frame frame = Frame::Value;
        if (in_declarations()) {
            if (c == '{') {
                const bool group = statement_.mentions_group && !is_block_keyword(statement_.first);
                if (statement_.first == "message" || group) {
                    frame = Frame::Message;
                } else if (statement_.first != "option") {
                    frame = Frame::Block;
                }
                statement_ = {};
            } else if (c == '<' && statement_.last == "map" &&
                       (statement_.tokens == 1 ||
                        (statement_.tokens == 2 && is_label(statement_.first)))) {
                // `map<K, V> f = N;` declares an entry message one level below the enclosing one.
                if (message_depth_ + 1 > limits_.max_message_nesting) {
                    return too_deep(statement_.last_line, statement_.last_column, message_limit());
                }
            }
            if (frame == Frame::Value) token("");
        }
        if (static_cast<int>(stack_.size()) + 1 > limits_.max_nesting) {
            return too_deep(line_, column_,
                            "nesting of '{', '[', '(' and '<' is deeper than " +
                                std::to_string(limits_.max_nesting) + " levels");
        }
        if (frame == Frame::Message && ++message_depth_ > limits_.max_message_nesting) {
            return too_deep(line_, column_, message_limit());
        }
        stack_.push_back(frame);
        return ok_status();
    }

    void close() {
        if (stack_.empty()) return;  // unbalanced closers are the parser's to report
        const Frame frame = stack_.back();
        stack_.pop_back();
        if (frame == Frame::Message) --message_depth_;
        if (frame != Frame::Value) statement_ = {};
    }

    std::string message_limit() const {
        return "messages are nested deeper than " + std::to_string(limits_.max_message_nesting) +
               " levels (each nested message, group and map field adds one)";
    }

    Error too_deep(int line, int column, const std::string& message) const {
        Error e{ErrorCode::InvalidProto,
                "file \"" + file_.path + "\" line " + std::to_string(line + 1) + ": " + message,
                {}};
        e.details.push_back({file_.path, line + 1, column + 1, message});
        return e;
    }

    const ProtoFile& file_;
    const PushLimits& limits_;
    Lexical state_ = Lexical::Code;
    int line_ = 0, column_ = 0;  // 0-based while scanning, like libprotobuf
    std::string word_;           // the word being read
    int word_line_ = 0, word_column_ = 0;
    std::vector<Frame> stack_;
    int message_depth_ = 0;
    Statement statement_;
};

}  // namespace

Status prescan_proto(const ProtoFile& file, const PushLimits& limits) {
    if (file.content.size() > limits.max_file_bytes) {
        return Error{ErrorCode::PayloadTooLarge,
                     "file \"" + file.path + "\" is " + std::to_string(file.content.size()) +
                         " bytes, over the limit of " + std::to_string(limits.max_file_bytes) +
                         " bytes per file",
                     {}};
    }
    return Scanner(file, limits).run();
}

}  // namespace spoke
