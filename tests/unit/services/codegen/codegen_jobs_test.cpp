// The pieces of code generation that need no loop: artifact keys, job progress and the compile
// job table.

#include "services/codegen/codegen_jobs.hpp"

#include <gtest/gtest.h>

#include <set>

#include "backends/storage.hpp"
#include "services/codegen/artifact_key.hpp"

namespace spoke {
namespace {

GenerationInputs sample_inputs() {
    GenerationInputs in;
    in.version_digest = "sha256:" + std::string(64, 'a');
    in.dependency_digests = {"sha256:" + std::string(64, 'b'), "sha256:" + std::string(64, 'c')};
    in.language = "cpp";
    in.include_grpc = false;
    in.generator = "libprotoc 3.21.12 in-process";
    return in;
}

TEST(ArtifactKey, DependsOnEveryInputButNotTheDependencyOrder) {
    const GenerationInputs base = sample_inputs();
    const std::string key = generation_key(base);
    EXPECT_TRUE(is_artifact_key(key)) << key;
    EXPECT_EQ(generation_key(base), key);

    GenerationInputs reordered = base;
    std::swap(reordered.dependency_digests[0], reordered.dependency_digests[1]);
    EXPECT_EQ(generation_key(reordered), key);

    std::set<std::string> keys{key};
    GenerationInputs v = base;
    v.version_digest.back() = 'f';
    keys.insert(generation_key(v));
    v = base;
    v.dependency_digests.pop_back();
    keys.insert(generation_key(v));
    v = base;
    v.language = "java";
    keys.insert(generation_key(v));
    v = base;
    v.include_grpc = true;
    keys.insert(generation_key(v));
    v = base;
    v.generator = "libprotoc 3.21.13 in-process";
    keys.insert(generation_key(v));
    // Field boundaries cannot be imitated by moving text from one field to the next.
    v = base;
    v.language = "cp";
    v.generator = "p" + v.generator;
    keys.insert(generation_key(v));
    EXPECT_EQ(keys.size(), 7u);
}

TEST(ArtifactKey, EachFormatHasItsOwnStorageKey) {
    const std::string key = generation_key(sample_inputs());
    const std::string zip = artifact_key(key, ArchiveFormat::Zip);
    const std::string tar = artifact_key(key, ArchiveFormat::TarGz);
    EXPECT_TRUE(is_artifact_key(zip));
    EXPECT_TRUE(is_artifact_key(tar));
    EXPECT_NE(zip, tar);
    EXPECT_NE(zip, key);
    EXPECT_EQ(artifact_key(key, ArchiveFormat::Zip), zip);
}

TEST(GenerationProgress, MovesFromQueuedToAnEnd) {
    GenerationProgress p(1000);
    auto v = p.view(1250);
    EXPECT_EQ(v.stage, GenerationProgress::Stage::Queued);
    EXPECT_EQ(v.duration_ms, 250);
    p.set_running();
    EXPECT_EQ(p.view(1300).stage, GenerationProgress::Stage::Running);
    p.set_completed(1400, "abc");
    v = p.view(9000);
    EXPECT_EQ(v.stage, GenerationProgress::Stage::Completed);
    EXPECT_EQ(v.duration_ms, 400);  // frozen at the end
    EXPECT_EQ(v.artifact_sha256, "abc");
    EXPECT_EQ(stage_name(v.stage), "completed");

    GenerationProgress f(0);
    f.set_failed(5, "generation failed: x");
    EXPECT_EQ(f.view(100).stage, GenerationProgress::Stage::Failed);
    EXPECT_EQ(f.view(100).error, "generation failed: x");
    f.set_running();  // too late: an ended generation stays ended
    EXPECT_EQ(f.view(100).stage, GenerationProgress::Stage::Failed);

    auto hit = GenerationProgress::finished(3, "def");
    EXPECT_EQ(hit->view(1000000).duration_ms, 3);
    EXPECT_EQ(hit->view(1000000).artifact_sha256, "def");
}

CompileJob job_for(const std::string& language) {
    CompileJob job{"m", "1.0.0", "1.0.0", {}};
    job.results.push_back({language, true, GenerationProgress::finished(1, "s")});
    return job;
}

TEST(CompileJobTable, RandomIdsFindTheirJobs) {
    CompileJobTable table(100, 60000);
    std::set<std::string> ids;
    for (int i = 0; i < 50; ++i) {
        std::string id = table.add(job_for("l" + std::to_string(i)), 0);
        ASSERT_EQ(id.size(), 32u);
        EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
        ids.insert(id);
        auto found = table.find(id, 1);
        ASSERT_TRUE(found);
        EXPECT_EQ(found->results[0].language, "l" + std::to_string(i));
    }
    EXPECT_EQ(ids.size(), 50u);
    EXPECT_FALSE(table.find(std::string(32, '0'), 1));
    EXPECT_FALSE(table.find("", 1));
}

TEST(CompileJobTable, JobsExpireAndTheOldestGoWhenFull) {
    CompileJobTable table(3, 1000);
    const std::string a = table.add(job_for("a"), 0);
    EXPECT_TRUE(table.find(a, 999));
    EXPECT_FALSE(table.find(a, 1000));
    const std::string b = table.add(job_for("b"), 1500);  // a is dropped here
    EXPECT_EQ(table.size(), 1u);
    const std::string c = table.add(job_for("c"), 1600);
    const std::string d = table.add(job_for("d"), 1700);
    const std::string e = table.add(job_for("e"), 1800);  // over the bound: b goes
    EXPECT_EQ(table.size(), 3u);
    EXPECT_FALSE(table.find(b, 1800));
    EXPECT_TRUE(table.find(c, 1800));
    EXPECT_TRUE(table.find(d, 1800));
    EXPECT_TRUE(table.find(e, 1800));
}

}  // namespace
}  // namespace spoke
