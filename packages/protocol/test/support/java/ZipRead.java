import java.io.FileInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Reads a zip entry by entry with java.util.zip.ZipInputStream, the streaming reader the service most likely
 * uses (it needs sizes in the local header for stored entries), and prints name, method, size and SHA-256 of
 * every entry of every zip named on the command line.
 */
public class ZipRead {
    public static void main(String[] args) throws Exception {
        for (String path : args) read(path);
    }

    static void read(String path) throws Exception {
        try (ZipInputStream zip = new ZipInputStream(new FileInputStream(path))) {
            ZipEntry entry;
            byte[] buffer = new byte[65536];
            while ((entry = zip.getNextEntry()) != null) {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                long size = 0;
                int n;
                while ((n = zip.read(buffer)) > 0) {
                    sha.update(buffer, 0, n);
                    size += n;
                }
                String method = entry.getMethod() == ZipEntry.STORED ? "store" : "deflate";
                System.out.println(entry.getName() + "\t" + method + "\t" + size + "\t" + HexFormat.of().formatHex(sha.digest()));
            }
        }
    }
}
