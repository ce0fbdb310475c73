"""The CIP4 JDF job ticket: the same job as the JSON ticket, in the print industry's machine-readable format.

One combined JDF 1.4 node (conventional printing, folding, saddle stitching) whose ResourcePool holds the RunList
naming STEM-print.pdf, the Media (stock), the ColorantControl (CMYK and the press condition), the FoldingParams,
StitchingParams, the CustomerInfo with its Contact, the NodeInfo (due date) and the Component (the finished copies),
linked by its ResourceLinkPool. Built with lxml from the ticket dict, so every value is escaped.
"""
from __future__ import annotations

from lxml import etree

JDF_NS = "http://www.CIP4.org/JDFSchema_1_1"
JDF_VERSION = "1.4"
_IDS = {"runlist": "RL1", "media": "M1", "colour": "CC1", "fold": "FP1", "stitch": "SP1", "component": "C1",
        "customer": "CI1", "node": "NI1", "contact": "CT1"}


def _e(parent: etree._Element, tag: str, **attributes: object) -> etree._Element:
    return etree.SubElement(parent, f"{{{JDF_NS}}}{tag}", {key: str(value) for key, value in attributes.items() if value not in (None, "")})


def _xml_text(value: object) -> str:
    """Text XML 1.0 can hold: characters it forbids (controls) become spaces."""
    return "".join(ch if ch in "\t\n\r" or (ord(ch) >= 0x20 and ch not in "\ufffe\uffff" and not 0xD800 <= ord(ch) <= 0xDFFF) else " "
                   for ch in str(value))


def job_jdf(ticket: dict, stamp: str) -> bytes:
    """The JDF ticket (UTF-8 XML bytes) for the job `ticket` describes (press.job_ticket); `stamp` is the
    ISO date-time of the build (from the publication's date: never now())."""
    trim_pt = ticket["trim"]["pt"]
    quantity = ticket.get("quantity") or 1
    root = etree.Element(f"{{{JDF_NS}}}JDF", nsmap={None: JDF_NS})
    for key, value in {"ID": "n0001", "JobID": ticket["id"], "JobPartID": "print", "Type": "Combined",
                       "Types": "ConventionalPrinting Folding Stitching", "Status": "Waiting", "Version": JDF_VERSION,
                       "DescriptiveName": ticket["title"]}.items():
        root.set(key, _xml_text(value))
    _e(_e(root, "AuditPool"), "Created", AgentName="brochure", TimeStamp=stamp)
    pool = _e(root, "ResourcePool")
    runlist = _e(pool, "RunList", ID=_IDS["runlist"], Class="Parameter", Status="Available", NPage=ticket["pages"])
    _e(_e(runlist, "LayoutElement"), "FileSpec", URL=ticket["file"], MimeType="application/pdf")
    stock = ticket["stock"]
    coating = "Coated" if stock["coating"] == "coated" else "None"
    _e(pool, "Media", ID=_IDS["media"], Class="Consumable", Status="Available", MediaType="Paper",
       DescriptiveName=_xml_text(stock["description"]), Weight=stock["weight"].get("gsm", ""),
       FrontCoatings=coating, BackCoatings=coating, MediaColorName=stock["colour"].capitalize())
    colour = _e(pool, "ColorantControl", ID=_IDS["colour"], Class="Parameter", Status="Available", ProcessColorModel="DeviceCMYK")
    separations = _e(colour, "ColorantParams")
    for name in ("Cyan", "Magenta", "Yellow", "Black"):
        _e(separations, "SeparationSpec", Name=name)
    _e(pool, "FoldingParams", ID=_IDS["fold"], Class="Parameter", Status="Available", FoldCatalog="F4-1")
    _e(pool, "StitchingParams", ID=_IDS["stitch"], Class="Parameter", Status="Available", StitchType="Saddle", NumberOfStitches=2)
    _e(pool, "Component", ID=_IDS["component"], Class="Quantity", Status="Unavailable", ComponentType="FinalProduct",
       Amount=quantity, Dimensions=f"{trim_pt[0]:g} {trim_pt[1]:g} 0")
    customer = _e(pool, "CustomerInfo", ID=_IDS["customer"], Class="Parameter", Status="Available",
                  CustomerJobName=_xml_text(ticket["title"]))
    contact = ticket.get("contact") or {}
    if contact:
        person = _e(customer, "Contact", ID=_IDS["contact"], Class="Parameter", Status="Available", ContactTypes="Customer")
        _e(person, "Company", OrganizationName=_xml_text(contact.get("organisation", "")))
        if contact.get("name"):
            _e(person, "Person", DescriptiveName=_xml_text(contact["name"]))
        for channel, key, prefix in (("Phone", "phone", "tel:"), ("Email", "email", "mailto:"), ("WWW", "url", "")):
            if contact.get(key):
                value = str(contact[key])
                _e(person, "ComChannel", ChannelType=channel, Locator=_xml_text(value if channel == "WWW" or value.startswith(prefix) else prefix + value.replace(" ", "")))
    _e(pool, "NodeInfo", ID=_IDS["node"], Class="Parameter", Status="Available",
       End=f"{ticket['due']}T17:00:00Z" if ticket.get("due") else "")
    for key, text in (("Proof", ticket.get("proof", "")), ("OutputCondition", ticket["output_condition"]["identifier"]),
                      ("Finishing", "saddle stitch, 2 staples, " + ticket["finishing"].get("fold", ""))):
        comment = _e(root, "Comment", Name=key)
        comment.text = _xml_text(text)
    links = _e(root, "ResourceLinkPool")
    for tag, ref, usage in (("RunListLink", "runlist", "Input"), ("MediaLink", "media", "Input"),
                            ("ColorantControlLink", "colour", "Input"), ("FoldingParamsLink", "fold", "Input"),
                            ("StitchingParamsLink", "stitch", "Input"), ("CustomerInfoLink", "customer", "Input"),
                            ("NodeInfoLink", "node", "Input"), ("ComponentLink", "component", "Output")):
        link = _e(links, tag, rRef=_IDS[ref], Usage=usage)
        if tag == "ComponentLink":
            link.set("Amount", str(quantity))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
