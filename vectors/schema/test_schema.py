#!/usr/bin/python3
"""The JSON Schemas accept the loader's valid fixtures and reject its invalid ones.

Run: /usr/bin/python3 vectors/schema/test_schema.py (registered with ctest).
"""
from __future__ import annotations

import json
import subprocess
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import validate  # noqa: E402

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
VALIDATE = Path(__file__).resolve().parent / "validate.py"


class SchemaFixtures(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.validators = validate.load_validators()

    def test_valid_fixtures_pass(self):
        files = sorted((DATA / "valid").glob("*.json")) + sorted((DATA / "sas").glob("*.json"))
        self.assertGreaterEqual(len(files), 3)
        for path in files:
            with self.subTest(path=path.name):
                self.assertEqual(validate.validate_file(path, self.validators), [])

    def test_invalid_fixtures_fail_at_the_loaders_place(self):
        manifest = json.loads((DATA / "invalid" / "MANIFEST.json").read_text())
        self.assertTrue(manifest)
        for name, expected in manifest.items():
            with self.subTest(fixture=name):
                problems = validate.validate_file(DATA / "invalid" / name, self.validators)
                self.assertTrue(problems, "the schema accepted it")
                # The schema reports the offending value or the object holding it.
                loader_pointer = expected["pointer"]
                self.assertTrue(any(loader_pointer == p or loader_pointer.startswith(p + "/") for p, _ in problems),
                                f"{problems} does not point at {loader_pointer}")

    def test_unknown_key_in_a_directory_of_good_files(self):
        problems = validate.validate_file(DATA / "mixed" / "b-bad.json", self.validators)
        self.assertEqual([p for p, _ in problems], ["/vectors/0"])
        self.assertIn("'colour' was unexpected", problems[0][1])
        self.assertEqual(validate.validate_file(DATA / "mixed" / "a-good.json", self.validators), [])

    def test_shape_errors_point_at_the_enclosing_object(self):
        doc = json.loads((DATA / "valid" / "full.json").read_text())
        doc["vectors"][0]["steps"][2]["info"]["OffloadHandle"] = "never_issued"
        self.assertEqual(validate.validate_document(doc, self.validators), [])
        doc["vectors"][0]["steps"][2]["info"]["OffloadHandle"] = 1
        self.assertEqual([p for p, _ in validate.validate_document(doc, self.validators)],
                         ["/vectors/0/steps/2"])  # the step no longer matches any op's shape
        doc = json.loads((DATA / "valid" / "full.json").read_text())
        doc["vectors"][0]["sas"]["t"]["flags_raw"] = 2  # both direction and flags_raw
        self.assertEqual([p for p, _ in validate.validate_document(doc, self.validators)], ["/vectors/0/sas/t"])
        doc = json.loads((DATA / "valid" / "full.json").read_text())
        doc["vectors"][0]["steps"][2]["frame"][0] = "4500 004"  # odd digit count
        self.assertEqual([p for p, _ in validate.validate_document(doc, self.validators)],
                         ["/vectors/0/steps/2"])
        doc["format"] = "sendpath-vectors/2"
        self.assertEqual(validate.validate_document(doc, self.validators)[0][0], "/format")

    def test_duplicate_keys_are_refused(self):
        text = (DATA / "valid" / "other.json").read_text().replace('"group":', '"group": "x", "group":', 1)
        with self.assertRaises(validate.DuplicateKey):
            json.loads(text, object_pairs_hook=validate._refuse_duplicates)

    def test_command_line(self):
        good = subprocess.run([sys.executable, str(VALIDATE), str(DATA / "valid"), str(DATA / "sas")],
                              capture_output=True, text=True)
        self.assertEqual(good.returncode, 0, good.stdout + good.stderr)
        self.assertIn("3 valid, 0 invalid (3 files)", good.stdout)
        bad = subprocess.run([sys.executable, str(VALIDATE), str(DATA / "mixed")], capture_output=True, text=True)
        self.assertEqual(bad.returncode, 1)
        self.assertIn(f"{DATA / 'mixed' / 'b-bad.json'}:/vectors/0: ", bad.stdout)
        self.assertIn("3 valid, 1 invalid (4 files)", bad.stdout)
        missing = subprocess.run([sys.executable, str(VALIDATE), str(DATA / "nowhere")], capture_output=True, text=True)
        self.assertEqual(missing.returncode, 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
