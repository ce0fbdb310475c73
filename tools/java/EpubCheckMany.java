// Runs EPUBCheck on several EPUBs in one JVM (one start-up instead of one per file): for each pair of arguments
// EPUB REPORT.json it calls EPUBCheck's own command line, as `java -jar epubcheck.jar EPUB -w -q --json REPORT` would.
import com.adobe.epubcheck.tool.EpubChecker;

public class EpubCheckMany {
    public static void main(String[] args) {
        for (int i = 0; i + 1 < args.length; i += 2) {
            new EpubChecker().run(new String[] {args[i], "-w", "-q", "--locale", "en", "--json", args[i + 1]});
        }
    }
}
