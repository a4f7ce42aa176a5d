#pragma once
// TempDir: a fresh directory under the temp dir for one test, removed with everything in it.

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace spoke::testing {

// A fresh directory under the temp dir, removed with everything in it.
class TempDir {
  public:
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "spoke-test-XXXXXX").string();
        const char* made = ::mkdtemp(tmpl.data());
        path_ = made ? made : "";
    }
    ~TempDir() {
        std::error_code ec;
        if (!path_.empty()) std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    std::string sub(const std::string& rel) const { return path_ + "/" + rel; }

    // Writes an executable shell script (standing for an external program) and returns its path.
    std::string script(const std::string& name, const std::string& body) const {
        const std::string file = sub(name);
        std::ofstream(file) << "#!/bin/sh\n" << body << "\n";
        ::chmod(file.c_str(), 0755);
        return file;
    }

  private:
    std::string path_;
};

}  // namespace spoke::testing
