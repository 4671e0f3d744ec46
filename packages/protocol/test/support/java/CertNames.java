import java.io.FileInputStream;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;

/** Oracle for the tests: prints what Java's X500Principal.getName() and getSerialNumber() give for each PEM file. */
public class CertNames {
    public static void main(String[] args) throws Exception {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        for (String path : args) {
            try (FileInputStream in = new FileInputStream(path)) {
                X509Certificate cert = (X509Certificate) factory.generateCertificate(in);
                System.out.println("subject\t" + cert.getSubjectX500Principal().getName());
                System.out.println("issuer\t" + cert.getIssuerX500Principal().getName());
                System.out.println("serial\t" + cert.getSerialNumber());
            }
        }
    }
}
