import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;

/**
 * Oracle for SigningTime: for each "epochMillis zoneId" line on stdin, prints the instant as an xs:dateTime in that
 * zone the way the Java client's JAXB printer does (millis only when non-zero, Z for a zero offset), with the wall
 * time and offset taken from java.time's own time-zone rules.
 */
public class SigningTimes {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line;
        while ((line = in.readLine()) != null) {
            String[] parts = line.split(" ");
            ZonedDateTime t = Instant.ofEpochMilli(Long.parseLong(parts[0])).atZone(ZoneId.of(parts[1]));
            StringBuilder out = new StringBuilder(String.format("%04d-%02d-%02dT%02d:%02d:%02d",
                t.getYear(), t.getMonthValue(), t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond()));
            int millis = t.getNano() / 1_000_000;
            if (millis != 0) out.append(String.format(".%03d", millis));
            int offset = t.getOffset().getTotalSeconds() / 60;
            if (offset == 0) out.append('Z');
            else out.append(String.format("%s%02d:%02d", offset < 0 ? "-" : "+", Math.abs(offset) / 60, Math.abs(offset) % 60));
            System.out.println(out);
        }
    }
}
