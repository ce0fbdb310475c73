// PDF/UA-1 check of one or more PDFs with the veraPDF validation engine (one JVM start for all of them).
//
// Output, for each file in turn: one line per failed rule, tab-separated:
//   FAIL <clause> <test number> <failed checks> <description> <first failing context>
// then a line "COMPLIANT" or "NONCOMPLIANT" that ends the file's block.
// Exit codes: 0 all compliant, 1 any non-compliant, 2 usage or parse error.
import java.io.File;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

import org.verapdf.gf.foundry.VeraGreenfieldFoundryProvider;
import org.verapdf.pdfa.Foundries;
import org.verapdf.pdfa.PDFAParser;
import org.verapdf.pdfa.PDFAValidator;
import org.verapdf.pdfa.flavours.PDFAFlavour;
import org.verapdf.pdfa.results.TestAssertion;
import org.verapdf.pdfa.results.ValidationResult;
import org.verapdf.pdfa.validation.profiles.Rule;
import org.verapdf.pdfa.validation.profiles.RuleId;

public class PdfUaCheck {
    /** Validates each argument against PDF/UA-1 and prints its failed rules. */
    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: PdfUaCheck FILE.pdf...");
            System.exit(2);
        }
        VeraGreenfieldFoundryProvider.initialise();
        PDFAFlavour flavour = PDFAFlavour.PDFUA_1;
        boolean compliant = true;
        for (String name : args) {
            try (PDFAParser parser = Foundries.defaultInstance().createParser(new File(name), flavour);
                 PDFAValidator validator = Foundries.defaultInstance().createValidator(flavour, 1, false, false, false)) {
                ValidationResult result = validator.validate(parser);
                report(result);
                compliant &= result.isCompliant();
            } catch (Exception e) {
                System.err.println("ERROR\t" + name + "\t" + e);
                System.exit(2);
            }
        }
        System.exit(compliant ? 0 : 1);
    }

    /** Prints one line per failed rule, sorted by clause and test number. */
    static void report(ValidationResult result) {
        Map<String, String> context = new HashMap<>();
        for (TestAssertion a : result.getTestAssertions()) {
            if (a.getStatus() == TestAssertion.Status.FAILED && a.getLocation() != null) {
                context.putIfAbsent(key(a.getRuleId()), a.getLocation().getContext());
            }
        }
        Map<String, String> lines = new TreeMap<>();
        for (Map.Entry<RuleId, Integer> e : result.getFailedChecks().entrySet()) {
            RuleId id = e.getKey();
            Rule rule = result.getValidationProfile().getRuleByRuleId(id);
            String description = rule == null ? "" : oneLine(rule.getDescription());
            lines.put(key(id), String.join("\t", "FAIL", id.getClause(), String.valueOf(id.getTestNumber()),
                    String.valueOf(e.getValue()), description, oneLine(context.getOrDefault(key(id), ""))));
        }
        lines.values().forEach(System.out::println);
        System.out.println(result.isCompliant() ? "COMPLIANT" : "NONCOMPLIANT");
    }

    /** A sortable key for a rule: zero-padded clause parts and test number. */
    static String key(RuleId id) {
        StringBuilder b = new StringBuilder();
        for (String part : id.getClause().split("\\.")) {
            b.append(String.format("%8s.", part));
        }
        return b.append(String.format("%6d", id.getTestNumber())).toString();
    }

    /** Collapses whitespace so a value fits in one tab-separated field. */
    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }
}
