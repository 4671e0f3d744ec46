import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import javax.xml.crypto.AlgorithmMethod;
import javax.xml.crypto.KeySelector;
import javax.xml.crypto.KeySelectorResult;
import javax.xml.crypto.OctetStreamData;
import javax.xml.crypto.URIDereferencer;
import javax.xml.crypto.XMLCryptoContext;
import javax.xml.crypto.dsig.Reference;
import javax.xml.crypto.dsig.XMLSignature;
import javax.xml.crypto.dsig.XMLSignatureFactory;
import javax.xml.crypto.dsig.dom.DOMValidateContext;
import javax.xml.crypto.dsig.keyinfo.KeyInfo;
import javax.xml.crypto.dsig.keyinfo.X509Data;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * Verifies bundles the way a Java server would: reads each zip with ZipInputStream, parses
 * META-INF/signatures.xml, resolves the file references against the zip entries (form-URL-decoded), registers the
 * SignedProperties Id, and validates with javax.xml.crypto.dsig using the first certificate in KeyInfo.
 * Prints one line per zip: "valid" or "invalid: <what failed>".
 */
public class VerifyBundle {
    public static void main(String[] args) throws Exception {
        for (String path : args) System.out.println(verify(path));
    }

    static String verify(String path) throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipInputStream zip = new ZipInputStream(new FileInputStream(path))) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                zip.transferTo(out);
                entries.put(entry.getName(), out.toByteArray());
            }
        }
        DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
        dbf.setNamespaceAware(true);
        Document doc = dbf.newDocumentBuilder().parse(new ByteArrayInputStream(entries.get("META-INF/signatures.xml")));
        Element signature = (Element) doc.getElementsByTagNameNS(XMLSignature.XMLNS, "Signature").item(0);
        Element signedProperties = (Element) doc.getElementsByTagNameNS("http://uri.etsi.org/01903/v1.3.2#", "SignedProperties").item(0);
        XMLSignatureFactory factory = XMLSignatureFactory.getInstance("DOM");
        KeySelector firstCertificate = new KeySelector() {
            public KeySelectorResult select(KeyInfo keyInfo, Purpose purpose, AlgorithmMethod method, XMLCryptoContext context) {
                X509Data data = (X509Data) keyInfo.getContent().get(0);
                X509Certificate cert = (X509Certificate) data.getContent().get(0);
                return () -> (Key) cert.getPublicKey();
            }
        };
        DOMValidateContext context = new DOMValidateContext(firstCertificate, signature);
        context.setIdAttributeNS(signedProperties, null, "Id");
        URIDereferencer standard = factory.getURIDereferencer();
        context.setURIDereferencer((reference, ctx) -> {
            String uri = reference.getURI();
            if (uri.startsWith("#")) return standard.dereference(reference, ctx);
            byte[] bytes = entries.get(URLDecoder.decode(uri, StandardCharsets.UTF_8));
            if (bytes == null) throw new javax.xml.crypto.URIReferenceException("no zip entry for " + uri);
            return new OctetStreamData(new ByteArrayInputStream(bytes));
        });
        XMLSignature xmlSignature = factory.unmarshalXMLSignature(context);
        if (xmlSignature.validate(context)) return "valid";
        StringBuilder failed = new StringBuilder("invalid:");
        if (!xmlSignature.getSignatureValue().validate(context)) failed.append(" SignatureValue");
        for (Object o : xmlSignature.getSignedInfo().getReferences()) {
            Reference r = (Reference) o;
            if (!r.validate(context)) failed.append(" ").append(r.getURI());
        }
        return failed.toString();
    }
}
