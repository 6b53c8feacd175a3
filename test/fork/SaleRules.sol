// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ISeaport, SeaportTypes} from "./SeaportTypes.sol";
import {Vm} from "forge-std/Vm.sol";

/// @notice docs/sale-rules.md applied to the logs of one Seaport transaction, as the indexer applies it, so that the
/// fork tests feed the TWAP only with what the oracle service would sign. Rules are tried in the table's order and
/// the first that matches names the skip.
library SaleRules {
    enum Outcome {
        Sale,
        MatchCounterpart,
        NoNft,
        Bundle,
        UnlistedCollection,
        NoPayment,
        OtherCurrency,
        PartialFill,
        NoTransfer
    }

    /// @notice The market this indexer watches: one Seaport, one listed collection, the pool asset (a WETH pool
    /// when `wethPool`, so native ETH counts as the asset).
    struct Market {
        address marketplace;
        address collection;
        address asset;
        bool wethPool;
    }

    struct Sale {
        address collection;
        uint256 tokenId;
        uint256 amount;
        uint256 totalPrice;
        uint256 unitPrice;
        address seller;
        address buyer;
        bytes32 orderHash;
    }

    /// @dev One decoded `OrderFulfilled`.
    struct Fill {
        bytes32 orderHash;
        address offerer;
        address recipient;
        SeaportTypes.SpentItem[] offer;
        SeaportTypes.ReceivedItem[] consideration;
    }

    bytes32 internal constant ERC721_TRANSFER = keccak256("Transfer(address,address,uint256)");
    bytes32 internal constant ERC1155_TRANSFER_SINGLE =
        keccak256("TransferSingle(address,address,address,uint256,uint256)");

    /// @notice Whether `log` is an `OrderFulfilled` of the watched marketplace.
    function isFill(Vm.Log memory log, Market memory m) internal pure returns (bool) {
        return
            log.emitter == m.marketplace && log.topics.length == 3 && log.topics[0] == ISeaport.OrderFulfilled.selector;
    }

    /// @notice Classifies `txLogs[index]` (an `OrderFulfilled`) with the other logs of its transaction.
    function classify(
        Vm.Log[] memory txLogs,
        uint256 index,
        Market memory m
    ) internal view returns (Outcome, Sale memory sale) {
        Fill memory f = _decode(txLogs[index]);
        sale.orderHash = f.orderHash;
        (bool nftInOffer, uint256 nfts, uint256 distinct) = _nfts(f, sale);
        // 1. match-counterpart
        if (!nftInOffer && _namedInOrdersMatched(txLogs, f.orderHash, m.marketplace)) {
            return (Outcome.MatchCounterpart, sale);
        }
        // 2. no-nft
        if (nfts == 0) return (Outcome.NoNft, sale);
        // 3. bundle
        if (distinct > 1) return (Outcome.Bundle, sale);
        // 4. unlisted-collection
        if (sale.collection != m.collection) return (Outcome.UnlistedCollection, sale);
        bool paidOther = _sides(f, nftInOffer, m, sale);
        // 5. no-payment
        if (sale.totalPrice == 0) return (Outcome.NoPayment, sale);
        // 6. other-currency
        if (paidOther) return (Outcome.OtherCurrency, sale);
        // 7. partial-fill
        (,,, uint256 totalSize) = ISeaport(m.marketplace).getOrderStatus(f.orderHash);
        if (totalSize > 1) return (Outcome.PartialFill, sale);
        // 8. no-transfer
        if (!_transferred(txLogs, sale)) return (Outcome.NoTransfer, sale);
        sale.unitPrice = sale.totalPrice / sale.amount;
        return (Outcome.Sale, sale);
    }

    function _decode(Vm.Log memory log) private pure returns (Fill memory f) {
        f.offerer = address(uint160(uint256(log.topics[1])));
        (f.orderHash, f.recipient, f.offer, f.consideration) =
            abi.decode(log.data, (bytes32, address, SeaportTypes.SpentItem[], SeaportTypes.ReceivedItem[]));
    }

    function _isNft(SeaportTypes.ItemType t) private pure returns (bool) {
        return uint8(t) >= uint8(SeaportTypes.ItemType.ERC721);
    }

    /// @dev Seller, buyer and total price by the table's "Sides"; true when a payment is in another currency than the
    /// pool asset (native ETH counts as the asset in a WETH pool).
    function _sides(
        Fill memory f,
        bool nftInOffer,
        Market memory m,
        Sale memory sale
    ) private pure returns (bool other) {
        if (nftInOffer) {
            sale.seller = f.offerer;
            sale.buyer = f.recipient;
            for (uint256 i; i < f.consideration.length; ++i) {
                SeaportTypes.ReceivedItem memory c = f.consideration[i];
                if (_isNft(c.itemType)) {
                    // A private listing: the NFT's recipient is the buyer.
                    if (c.token == sale.collection && c.identifier == sale.tokenId) sale.buyer = c.recipient;
                    continue;
                }
                sale.totalPrice += c.amount;
                other = other || _otherCurrency(c.itemType, c.token, m);
            }
        } else {
            sale.buyer = f.offerer;
            sale.seller = f.recipient;
            for (uint256 i; i < f.offer.length; ++i) {
                SeaportTypes.SpentItem memory o = f.offer[i];
                if (_isNft(o.itemType)) continue;
                sale.totalPrice += o.amount;
                other = other || _otherCurrency(o.itemType, o.token, m);
            }
        }
    }

    function _otherCurrency(SeaportTypes.ItemType t, address token, Market memory m) private pure returns (bool) {
        return t == SeaportTypes.ItemType.NATIVE ? !m.wethPool : token != m.asset;
    }

    /// @dev NFT items of both sides: whether one is offered, how many, how many distinct (token, id); the first one
    /// is written to `sale` (collection, token id, amount).
    function _nfts(
        Fill memory f,
        Sale memory sale
    ) private pure returns (bool nftInOffer, uint256 count, uint256 distinct) {
        address token;
        uint256 id;
        uint256 amount;
        for (uint256 i; i < f.offer.length; ++i) {
            SeaportTypes.SpentItem memory o = f.offer[i];
            if (!_isNft(o.itemType)) continue;
            nftInOffer = true;
            (count, distinct, token, id, amount) =
                _count(count, distinct, token, id, amount, o.token, o.identifier, o.amount);
        }
        for (uint256 i; i < f.consideration.length; ++i) {
            SeaportTypes.ReceivedItem memory c = f.consideration[i];
            if (!_isNft(c.itemType)) continue;
            (count, distinct, token, id, amount) =
                _count(count, distinct, token, id, amount, c.token, c.identifier, c.amount);
        }
        (sale.collection, sale.tokenId, sale.amount) = (token, id, amount);
    }

    function _count(
        uint256 count,
        uint256 distinct,
        address token,
        uint256 id,
        uint256 amount,
        address itemToken,
        uint256 itemId,
        uint256 itemAmount
    ) private pure returns (uint256, uint256, address, uint256, uint256) {
        if (count == 0) return (1, 1, itemToken, itemId, itemAmount);
        // Two items are the same NFT when token and id match; a third distinct one only matters as "more than one".
        if (itemToken != token || itemId != id) distinct = 2;
        return (count + 1, distinct, token, id, amount);
    }

    function _namedInOrdersMatched(
        Vm.Log[] memory txLogs,
        bytes32 orderHash,
        address marketplace
    ) private pure returns (bool) {
        for (uint256 i; i < txLogs.length; ++i) {
            Vm.Log memory l = txLogs[i];
            if (l.emitter != marketplace || l.topics.length != 1 || l.topics[0] != ISeaport.OrdersMatched.selector) {
                continue;
            }
            bytes32[] memory hashes = abi.decode(l.data, (bytes32[]));
            for (uint256 j; j < hashes.length; ++j) {
                if (hashes[j] == orderHash) return true;
            }
        }
        return false;
    }

    /// @dev An ERC-721 `Transfer` or ERC-1155 `TransferSingle` of the sold token, seller to buyer, whole amount.
    function _transferred(Vm.Log[] memory txLogs, Sale memory s) private pure returns (bool) {
        for (uint256 i; i < txLogs.length; ++i) {
            Vm.Log memory l = txLogs[i];
            if (l.emitter != s.collection) continue;
            if (l.topics.length == 4 && l.topics[0] == ERC721_TRANSFER) {
                if (
                    s.amount == 1 && address(uint160(uint256(l.topics[1]))) == s.seller
                        && address(uint160(uint256(l.topics[2]))) == s.buyer && uint256(l.topics[3]) == s.tokenId
                ) return true;
            } else if (l.topics.length == 4 && l.topics[0] == ERC1155_TRANSFER_SINGLE) {
                (uint256 id, uint256 value) = abi.decode(l.data, (uint256, uint256));
                if (
                    address(uint160(uint256(l.topics[2]))) == s.seller
                        && address(uint160(uint256(l.topics[3]))) == s.buyer && id == s.tokenId && value == s.amount
                ) return true;
            }
        }
        return false;
    }
}
